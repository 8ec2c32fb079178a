// Preload for `node-red-dev validate` (NODE_OPTIONS="--require <this file>"): node-red-dev fetches
// https://catalogue.nodered.org/catalogue.json for the P08/N01 name checks and dies when it is
// unreachable. Answer that one request locally (an empty catalogue, or NR_CATALOGUE_FILE), using the
// same axios instance node-red-dev uses; every other request goes out unchanged.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const devDir = path.dirname(require.resolve('node-red-dev/package.json', { paths: [process.cwd(), __dirname] }));
const axios = require(require.resolve('axios', { paths: [devDir] }));
const realGet = axios.get.bind(axios);
axios.get = (url, ...rest) => {
  if (String(url).startsWith('https://catalogue.nodered.org/')) {
    const data = process.env.NR_CATALOGUE_FILE ? JSON.parse(fs.readFileSync(process.env.NR_CATALOGUE_FILE, 'utf8')) : { modules: [] };
    return Promise.resolve({ status: 200, data });
  }
  return realGet(url, ...rest);
};
