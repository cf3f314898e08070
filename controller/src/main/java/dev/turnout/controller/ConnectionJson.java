package dev.turnout.controller;

import dev.turnout.controller.json.JsonWriter;
import dev.turnout.controller.spi.ConnectionControl;
import java.time.Instant;
import java.util.List;

/**
 * The connections snapshot in mihomo's shape: totals, then every connection with its {@code
 * metadata} (ports as strings, as old Clash sent them and yacd's filter expects), counters, start
 * time, {@code chains} and rule. {@code connections} is {@code []} when empty, never null.
 * Stateless.
 */
final class ConnectionJson {
  private ConnectionJson() {}

  static String snapshot(ConnectionControl control) {
    List<ConnectionControl.Connection> list = control.connections();
    JsonWriter w = new JsonWriter(new StringBuilder(256 + list.size() * 640));
    w.beginObject()
        .field("downloadTotal", control.downloadTotal())
        .field("uploadTotal", control.uploadTotal())
        .field("memory", 0)
        .name("connections")
        .beginArray();
    for (ConnectionControl.Connection c : list) {
      connection(w, c);
    }
    w.endArray().endObject();
    return w.toString();
  }

  private static void connection(JsonWriter w, ConnectionControl.Connection c) {
    w.beginObject().field("id", c.id()).name("metadata").beginObject();
    w.field("network", c.network())
        .field("type", c.type())
        .field("sourceIP", c.sourceIp())
        .field("destinationIP", c.destinationIp())
        .field("sourcePort", Integer.toString(c.sourcePort()))
        .field("destinationPort", Integer.toString(c.destinationPort()))
        .field("inboundIP", "")
        .field("inboundPort", Integer.toString(c.inboundPort()))
        .field("inboundName", c.inboundName())
        .field("inboundUser", c.inboundUser())
        .field("host", c.host())
        .field("dnsMode", c.dnsMode())
        .field("uid", 0)
        .field("process", c.process())
        .field("processPath", c.processPath())
        .field("specialProxy", "")
        .field("specialRules", "")
        .field("remoteDestination", c.destinationIp())
        .field("dscp", 0)
        .field("sniffHost", c.sniffHost())
        .endObject();
    w.field("upload", c.upload())
        .field("download", c.download())
        .field("start", Instant.ofEpochMilli(c.startMillis()).toString())
        .name("chains")
        .beginArray();
    c.chains().forEach(w::value);
    w.endArray()
        .name("providerChains")
        .beginArray()
        .endArray()
        .field("rule", c.rule())
        .field("rulePayload", c.rulePayload())
        .endObject();
  }
}
