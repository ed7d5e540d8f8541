package dev.waybill.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.internal.Json;
import dev.waybill.outbox.internal.SafeText;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Topic, key and error of a parked key come from outbox rows anyone with INSERT on the outbox table
 * writes with plain SQL, and the shard owners from the lease table: {@code status} shows them
 * escaped, and {@code status --json} stays JSON with the exact text.
 */
class StatusEscapingIT {
  static final String TOPIC = "orders\u001b[2J";
  static final String KEY = "k\u001b]0;owned\u0007\u009b";
  static final String ERROR = "X\u001b[31m\u202eException";
  static final String OWNER = "relay\u001b[8m-1";

  TestDatabase db;

  @BeforeEach
  void hostileRows() throws Exception {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    try (Connection c = db.connect();
        PreparedStatement dead =
            c.prepareStatement(
                "INSERT INTO waybill_outbox_dead_letter (seq, id, topic, msg_key, event_type,"
                    + " content_type, payload, created_at, attempts, error_class, error_message,"
                    + " parks_key, relay_instance) VALUES (7, gen_random_uuid(), ?, ?, 'E',"
                    + " 'application/json', '\\x7b7d'::bytea, now(), 1, ?, 'm', TRUE, 'r1')");
        PreparedStatement lease =
            c.prepareStatement(
                "INSERT INTO waybill_relay_lease (shard, owner, epoch, expires_at, renewed_at)"
                    + " VALUES (0, ?, 1, now() + interval '1 hour', now())")) {
      dead.setString(1, TOPIC);
      dead.setString(2, KEY);
      dead.setString(3, ERROR);
      dead.executeUpdate();
      lease.setString(1, OWNER);
      lease.executeUpdate();
    }
  }

  @AfterEach
  void dropDatabase() {
    if (db != null) {
      db.close();
    }
  }

  String status(String... extra) {
    List<String> args = new ArrayList<>(List.of("status"));
    args.addAll(db.settingsFlags());
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RelayMain.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
    assertThat(exit).as(err.toString()).isZero();
    return out.toString();
  }

  static void assertTerminalSafe(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      assertThat(c != '\n' && SafeText.isUnsafe(c))
          .as("U+%04X at %d of: %s", (int) c, i, SafeText.escape(text))
          .isFalse();
    }
  }

  @Test
  void statusEscapesTopicKeyErrorAndOwner() {
    String table = status("--set", "relay.shards=1");
    assertTerminalSafe(table);
    assertThat(table)
        .contains("orders\\x1b[2J")
        .contains("k\\x1b]0;owned\\x07\\x9b")
        .contains("X\\x1b[31m\\u202eException")
        .contains("relay\\x1b[8m-1");
  }

  @Test
  void statusJsonStaysJsonWithTheExactText() {
    String json = status("--set", "relay.shards=1", "--json");
    assertTerminalSafe(json);
    Map<String, Object> parsed = Json.parseObject(json.trim());
    assertThat(parsed.get("parked").toString()).contains(KEY, TOPIC, ERROR);
    assertThat(parsed.get("owners").toString()).contains(OWNER);
  }
}
