package dev.waybill.inbox;

import static dev.waybill.inbox.ConsumerFixture.count;
import static dev.waybill.inbox.ConsumerFixture.header;
import static dev.waybill.inbox.ConsumerFixture.recording;
import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.inbox.internal.InboxMetrics;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * Poison input at the consumer: ids and keys the database refuses, ids that are not UTF-8, and a
 * record whose dead letter is too large. Each must be dead-lettered with a reason while its
 * partition moves on: never retried forever, never taken for a duplicate. Awaitility waits for that
 * outcome; a consumer that loops on such a record never reaches it. Subclasses give the database in
 * a few lines. Final methods.
 */
abstract class PoisonInputContract extends ConsumerContractBase {
  /**
   * Makes the database refuse values of {@code column} longer than {@code chars} characters with a
   * data error (SQLSTATE class 23): a CHECK constraint, which leaves the column's type as the
   * consumer's start-up check expects it (a narrowed column would stop the consumer at start).
   */
  void refuseLongValues(String table, String column, int chars) throws Exception {
    ddl(
        "ALTER TABLE "
            + table
            + " ADD CONSTRAINT "
            + column
            + "_at_most_"
            + chars
            + " CHECK (CHAR_LENGTH("
            + column
            + ") <= "
            + chars
            + ")");
  }

  @Test
  final void idsWithANulByteOrControlCharactersAreDeadLetteredAndThePartitionFlows()
      throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    fx.send(topic, "a", "ok-1", "T", 1);
    fx.send(topic, "b", "nul\u0000id", "T", 2);
    fx.send(topic, "c", "esc\u001b[2Jid", "T", 3);
    fx.send(topic, "d", "del\u007fid", "T", 4);
    fx.send(topic, "a", "ok-2", "T", 5);
    fx.flush();
    InboxConsumer c =
        consumeAll(fx.builder(group, topic, b -> {}).defaultHandler(recording()), group, topic, 5);
    assertThat(fx.appliedIds()).containsExactly("ok-1", "ok-2");
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 3);
    assertThat(dead).extracting(r -> header(r, "seq")).containsExactly("2", "3", "4");
    assertThat(dead)
        .extracting(r -> header(r, DeadLetterHeaders.REASON))
        .containsOnly("invalid-id");
    assertThat(header(dead.get(0), DeadLetterHeaders.EXCEPTION_MESSAGE))
        .contains("U+0000")
        .doesNotContain("\u0000");
    assertThat(header(dead.get(0), CloudEventHeaders.ID))
        .as("the original id travels unchanged")
        .isEqualTo("nul\u0000id");
    assertThat(count(c, InboxMetrics.INFRASTRUCTURE_FAILURES)).isZero();
  }

  @Test
  final void twoDifferentIdsThatAreNotUtf8AreBothDeadLetteredAndNeitherIsTakenForADuplicate()
      throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    byte[] first = {'i', 'd', '-', (byte) 0xFF};
    byte[] second = {'i', 'd', '-', (byte) 0xFE};
    sendRawId(topic, "a", first, 1);
    sendRawId(topic, "b", second, 2);
    fx.send(topic, "c", "ok-1", "T", 3);
    fx.flush();
    InboxConsumer c =
        consumeAll(fx.builder(group, topic, b -> {}).defaultHandler(recording()), group, topic, 3);
    assertThat(count(c, InboxMetrics.DUPLICATES)).isZero();
    assertThat(fx.appliedIds()).containsExactly("ok-1");
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 2);
    assertThat(dead).hasSize(2);
    assertThat(dead)
        .extracting(r -> header(r, DeadLetterHeaders.REASON))
        .containsOnly("invalid-id");
    assertThat(dead.get(0).headers().lastHeader(CloudEventHeaders.ID).value()).isEqualTo(first);
    assertThat(dead.get(1).headers().lastHeader(CloudEventHeaders.ID).value()).isEqualTo(second);
    assertThat(header(dead.get(0), DeadLetterHeaders.EXCEPTION_MESSAGE))
        .contains("not valid UTF-8");
  }

  @Test
  final void anExtractorsIdIsCheckedAsStrictlyAndDerivedIdsStillWork() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    fx.send(topic, "a", "ok-1", "T", 1);
    fx.send(topic, "b", "bad", "T", 2);
    fx.send(topic, "c", null, "T", 3);
    fx.flush();
    InboxConsumer c =
        consumeAll(
            fx.builder(
                    group, topic, b -> b.missingIdPolicy(MissingIdPolicy.DERIVE_FROM_COORDINATES))
                .messageIdExtractor(
                    r -> {
                      var h = r.headers().lastHeader(CloudEventHeaders.ID);
                      if (h == null) {
                        return Optional.empty();
                      }
                      String id = new String(h.value(), StandardCharsets.UTF_8);
                      return Optional.of(id.equals("bad") ? "bad\u0000" : id);
                    })
                .defaultHandler(recording()),
            group,
            topic,
            3);
    assertThat(fx.appliedIds()).containsExactly("ok-1", topic + "/0/2");
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 1);
    assertThat(dead).extracting(r -> header(r, "seq")).containsExactly("2");
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("invalid-id");
  }

  @Test
  final void anIdTheInboxTableRefusesIsDeadLetteredInsteadOfRetriedAsAnOutage() throws Exception {
    refuseLongValues(TableNames.DEFAULT_INBOX, "message_id", 40);
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    String tooLong = "x".repeat(60);
    fx.send(topic, "a", "ok-1", "T", 1);
    fx.send(topic, "b", tooLong, "T", 2);
    fx.send(topic, "a", "ok-2", "T", 3);
    fx.flush();
    InboxConsumer c =
        consumeAll(fx.builder(group, topic, b -> {}).defaultHandler(recording()), group, topic, 3);
    assertThat(fx.appliedIds()).containsExactly("ok-1", "ok-2");
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 1);
    assertThat(dead).extracting(r -> header(r, CloudEventHeaders.ID)).containsExactly(tooLong);
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("invalid-id");
    assertThat(header(dead.get(0), DeadLetterHeaders.ATTEMPTS))
        .as("the handler never ran")
        .isEqualTo("0");
    assertThat(count(c, InboxMetrics.INFRASTRUCTURE_FAILURES))
        .as("a refused id is no outage")
        .isZero();
  }

  @Test
  final void aKeyThatCannotBeParkedIsStillDeadLetteredAndHeldInOrderedMode() throws Exception {
    refuseLongValues(TableNames.DEFAULT_INBOX + "_parked", "msg_key", 8);
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    String nulKey = "k\u0000y";
    String longKey = "a-key-longer-than-8";
    MessageHandler h =
        (m, tx) -> {
          if (m.messageId().startsWith("bad")) {
            throw new NonRetriableException("rejected");
          }
          recording().handle(m, tx);
        };
    fx.send(topic, nulKey, "bad-1", "T", 1);
    fx.send(topic, nulKey, "later-1", "T", 2);
    fx.send(topic, longKey, "bad-2", "T", 3);
    fx.send(topic, longKey, "later-2", "T", 4);
    fx.send(topic, "ok", "ok-1", "T", 5);
    fx.flush();
    InboxConsumer c =
        consumeAll(
            fx.builder(group, topic, b -> b.ordered(true)).defaultHandler(h), group, topic, 5);
    assertThat(fx.appliedIds()).containsExactly("ok-1");
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 4);
    assertThat(dead)
        .extracting(r -> header(r, CloudEventHeaders.ID))
        .containsExactly("bad-1", "later-1", "bad-2", "later-2");
    assertThat(dead)
        .extracting(r -> header(r, DeadLetterHeaders.REASON))
        .containsExactly("non-retriable", "key-parked", "non-retriable", "key-parked");
    assertThat(c.parkedKeys())
        .containsEntry(topic + "/k\uFFFDy", "bad-1")
        .containsEntry(topic + "/" + longKey, "bad-2");
    assertThat(count(c, InboxMetrics.UNPARKABLE_KEYS))
        .as("the long key was parked in memory only")
        .isEqualTo(1);
    assertThat(fx.column("SELECT message_id FROM " + TableNames.DEFAULT_INBOX + "_parked"))
        .containsExactly("bad-1");
  }

  @Test
  final void aNearLimitRecordWhoseDeadLetterIsTooLargeIsDeadLetteredWithoutItsValue()
      throws Exception {
    String topic = "inbox-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> limit = Map.of("max.message.bytes", "32768");
    fx.kafka.createTopic(topic, 1, limit);
    fx.kafka.createTopic(topic + ".DLT", 1, limit);
    String group = ConsumerFixture.group();
    MessageHandler h =
        (m, tx) -> {
          if (m.messageId().equals("big")) {
            throw new NonRetriableException("rejected");
          }
          recording().handle(m, tx);
        };
    fx.send(topic, "a", "big", "T", 1, "x".repeat(32_000));
    fx.flush();
    fx.send(topic, "a", "ok-1", "T", 2);
    fx.flush();
    InboxConsumer c =
        consumeAll(fx.builder(group, topic, b -> {}).defaultHandler(h), group, topic, 2);
    assertThat(fx.appliedIds()).containsExactly("ok-1");
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 1);
    assertThat(dead).hasSize(1);
    ConsumerRecord<byte[], byte[]> d = dead.get(0);
    assertThat(d.value()).isNull();
    assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("a");
    assertThat(header(d, CloudEventHeaders.ID)).isEqualTo("big");
    assertThat(header(d, DeadLetterHeaders.REASON)).isEqualTo("non-retriable");
    assertThat(header(d, DeadLetterHeaders.LEFT_OUT)).startsWith("value:").contains("32000 bytes");
    assertThat(header(d, DeadLetterHeaders.ORIGINAL_TOPIC)).isEqualTo(topic);
    assertThat(
            ByteBuffer.wrap(d.headers().lastHeader(DeadLetterHeaders.ORIGINAL_OFFSET).value())
                .getLong())
        .isZero();
    assertThat(count(c, InboxMetrics.DEAD_LETTERS_SHRUNK)).isEqualTo(1);
    assertThat(count(c, InboxMetrics.DEAD_LETTERED)).isEqualTo(1);
  }

  private void sendRawId(String topic, String key, byte[] id, int seq) {
    RecordHeaders h = new RecordHeaders();
    h.add(CloudEventHeaders.ID, id);
    h.add(CloudEventHeaders.TYPE, "T".getBytes(StandardCharsets.UTF_8));
    h.add("seq", Integer.toString(seq).getBytes(StandardCharsets.UTF_8));
    fx.producer.send(
        new ProducerRecord<>(
            topic,
            null,
            key.getBytes(StandardCharsets.UTF_8),
            "{}".getBytes(StandardCharsets.UTF_8),
            h));
  }

  private void ddl(String sql) throws SQLException {
    try (Connection c = fx.db.connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
