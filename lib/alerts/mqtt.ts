/**
 * MQTT shapes: one topic per severity and class (`<prefix>/alerts/<severity>/<class>`), the EVE
 * record as JSON payload, plus optional Home Assistant MQTT discovery so a home-lab gets an
 * "Intrusion detected" binary sensor and an alert counter with no configuration.
 * Messages are plain `{topic, payload, qos, retain}` objects: what Node-RED's `mqtt out` node
 * takes, and what the CLI publishes with mqtt.js.
 */
import { SEVERITY_NAMES } from './classes.js';
import { EveAlert } from './eve.js';

export interface MqttMessage { topic: string; payload: unknown; qos: 0 | 1 | 2; retain: boolean }

/** MQTT topic level from free text: no wildcards, separators or spaces. */
export function topicLevel(s: string): string {
  const t = s.trim().replace(/[+#/\u0000]/g, '_').replace(/\s+/g, '_');
  return t === '' ? '_' : t;
}

export function alertTopic(prefix: string, rec: EveAlert): string {
  return `${prefix}/alerts/${SEVERITY_NAMES[rec.alert.severity]}/${topicLevel(rec.deepmad?.label ?? rec.alert.signature)}`;
}

export function alertMessage(prefix: string, rec: EveAlert, qos: 0 | 1 | 2 = 1): MqttMessage {
  return { topic: alertTopic(prefix, rec), payload: rec, qos, retain: false };
}

export interface HomeAssistantOptions {
  /** Discovery prefix Home Assistant listens on. Default `homeassistant`. */
  discoveryPrefix?: string;
  /** Our topic prefix (state topics live under it). */
  prefix: string;
  /** Stable id of this sensor instance (letters, digits, _ and -). */
  nodeId: string;
  /** Device name shown in Home Assistant. */
  name?: string;
  /** Seconds after the last alert before the binary sensor turns off. Default 300. */
  offDelay?: number;
  version?: string;
}

export function haStateTopics(o: HomeAssistantOptions) {
  const base = `${o.prefix}/${topicLevel(o.nodeId)}`;
  return { intrusion: `${base}/intrusion`, count: `${base}/alerts_total`, availability: `${base}/status`, last: `${base}/last_alert` };
}

/** Retained discovery configs (binary_sensor + sensor) and the availability message. */
export function haDiscoveryMessages(o: HomeAssistantOptions): MqttMessage[] {
  const id = topicLevel(o.nodeId).replace(/[^A-Za-z0-9_-]/g, '_');
  const disc = o.discoveryPrefix ?? 'homeassistant';
  const t = haStateTopics(o);
  const device = { identifiers: [`deepmad_${id}`], name: o.name ?? `DeepMAD ${o.nodeId}`, manufacturer: 'DeepMAD', model: 'ML network intrusion detection', ...(o.version ? { sw_version: o.version } : {}) };
  const availability = { availability_topic: t.availability, payload_available: 'online', payload_not_available: 'offline' };
  return [
    {
      topic: `${disc}/binary_sensor/deepmad_${id}/intrusion/config`,
      payload: {
        name: 'Intrusion detected', unique_id: `deepmad_${id}_intrusion`, object_id: `deepmad_${id}_intrusion`,
        device_class: 'problem', state_topic: t.intrusion, payload_on: 'ON', payload_off: 'OFF',
        off_delay: o.offDelay ?? 300, json_attributes_topic: t.last, icon: 'mdi:shield-alert', device, ...availability,
      },
      qos: 1, retain: true,
    },
    {
      topic: `${disc}/sensor/deepmad_${id}/alerts/config`,
      payload: {
        name: 'Alerts', unique_id: `deepmad_${id}_alerts`, object_id: `deepmad_${id}_alerts`, state_topic: t.count,
        state_class: 'total_increasing', unit_of_measurement: 'alerts', icon: 'mdi:counter', device, ...availability,
      },
      qos: 1, retain: true,
    },
    { topic: t.availability, payload: 'online', qos: 1, retain: true },
  ];
}

/** State updates after a batch of records: sensor ON, running total, and the latest alert as attributes. */
export function haStateMessages(o: HomeAssistantOptions, totalFlows: number, latest: EveAlert): MqttMessage[] {
  const t = haStateTopics(o);
  return [
    { topic: t.intrusion, payload: 'ON', qos: 1, retain: false },
    { topic: t.count, payload: String(totalFlows), qos: 1, retain: true },
    {
      topic: t.last,
      payload: { signature: latest.alert.signature, severity: latest.alert.severity, src_ip: latest.src_ip, dest_ip: latest.dest_ip, dest_port: latest.dest_port, timestamp: latest.timestamp, count: latest.deepmad.count },
      qos: 1, retain: true,
    },
  ];
}
