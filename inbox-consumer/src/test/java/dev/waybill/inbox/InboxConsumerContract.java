package dev.waybill.inbox;

import static dev.waybill.inbox.ConsumerFixture.count;
import static dev.waybill.inbox.ConsumerFixture.header;
import static dev.waybill.inbox.ConsumerFixture.recording;
import static dev.waybill.inbox.ConsumerFixture.settled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.inbox.internal.InboxMetrics;
import dev.waybill.inbox.spi.Upcaster;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.testkit.DatabaseOutage;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TcpProxy;
import io.micrometer.core.instrument.Timer;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/**
 * The Kafka consumer's promises, against a real broker and each database: subclasses give the
 * database in a few lines. Final methods. Counts are small and backoffs short; no timing decides a
 * result (Awaitility waits for outcomes).
 */
abstract class InboxConsumerContract extends ConsumerContractBase {
  static double gauge(InboxConsumer c, String name) {
    return c.meterRegistry().get(name).gauge().value();
  }

  /**
   * A fixture whose database can be taken away from the consumer under test, and how it goes away
   * and comes back. Writers, readers and assertions use {@link #fixture()} directly; only the
   * consumer connects through {@link #consumerDataSource()}.
   *
   * @param fixture the fixture of the drill (its database, broker and helpers)
   * @param outage the drill
   * @param ownsFixture whether closing the drill closes the fixture too
   */
  record Drill(ConsumerFixture fixture, DatabaseOutage outage, boolean ownsFixture)
      implements AutoCloseable {
    /**
     * What the consumer under test connects with: the drill's data source, which gives up on
     * getting a connection after 1 s.
     */
    DataSource consumerDataSource() {
      return outage.dataSource();
    }

    void takeDown() {
      outage.takeDown();
    }

    void bringBack() {
      outage.bringBack();
    }

    @Override
    public void close() {
      try {
        if (ownsFixture) {
          outage.bringBack(); // the fixture's tables are dropped with a running server
          fixture.close();
        }
      } finally {
        outage.close();
      }
    }
  }

  /**
   * The outage drill of this database. By default the consumer reaches the database through a
   * {@link TcpProxy} that resets every connection and refuses new ones while "down", as a stopped
   * server would; PostgreSQL restarts a real (embedded) server instead. There is no H2 variant: H2
   * runs in memory inside the consumer's JVM, so there is no server to lose.
   */
  Drill databaseOutage() throws SQLException {
    return new Drill(fx, DatabaseOutage.throughProxy(fx.db), false);
  }

  @Test
  final void duplicatesProducedOnPurposeTakeEffectOnceAndAreCounted() throws Exception {
    String topic = fx.topic(3);
    String group = ConsumerFixture.group();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String id = UUID.randomUUID().toString();
      ids.add(id);
      fx.send(topic, "k" + (i % 10), id, "OrderPlaced", i);
      if (i % 4 == 0) {
        fx.send(topic, "k" + (i % 10), id, "OrderPlaced", i); // right behind: same batch
      }
    }
    for (int i = 0; i < 60; i += 2) {
      fx.send(topic, "k" + (i % 10), ids.get(i), "OrderPlaced", i); // later: another batch
    }
    fx.flush();
    InboxConsumer c = fx.start(fx.builder(group, topic, b -> {}).defaultHandler(recording()));
    int total = 60 + 15 + 30;
    await().atMost(WAIT).until(() -> settled(c) == total);
    assertThat(fx.appliedIds()).hasSize(60).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(count(c, InboxMetrics.HANDLED)).isEqualTo(60);
    assertThat(count(c, InboxMetrics.DUPLICATES)).isEqualTo(45);
    fx.awaitCommittedToEnd(group, topic, 3);
  }

  @Test
  final void eachMessageTakesEffectOnceWhenTheConsumerIsKilledMidBatchAndRestarted()
      throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    int n = 80;
    for (int i = 0; i < n; i++) {
      fx.send(topic, "k" + (i % 5), "id-" + i, "OrderPlaced", i);
    }
    fx.flush();
    String java =
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                CrashingConsumerMain.class.getName(),
                fx.kafka.bootstrapServers(),
                fx.db.jdbcUrl(),
                fx.db.user(),
                fx.db.password(),
                topic,
                group,
                "50")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the crashing consumer halted").isTrue();
    assertThat(p.exitValue()).as("halted in the handler of seq 50").isEqualTo(3);
    List<String> before = fx.appliedIds();
    assertThat(before)
        .as("records before the fatal one committed; the fatal one rolled back")
        .hasSize(50);

    InboxConsumer c = fx.start(fx.builder(group, topic, b -> {}).defaultHandler(recording()));
    await().atMost(WAIT).until(() -> fx.appliedIds().size() >= n);
    fx.awaitCommittedToEnd(group, topic, 1);
    List<String> after = fx.appliedIds();
    assertThat(after).hasSize(n).doesNotHaveDuplicates();
    assertThat(count(c, InboxMetrics.DUPLICATES))
        .as("redelivered records whose transaction had committed were skipped")
        .isGreaterThan(0);
  }

  @Test
  final void eachMessageTakesEffectOnceWhenTwoConsumersRebalance() throws Exception {
    String topic = fx.topic(4);
    String group = ConsumerFixture.group();
    MessageHandler slow =
        (m, tx) -> {
          recording().handle(m, tx);
          Thread.sleep(2);
        };
    InboxConsumer a = fx.start(fx.builder(group, topic, b -> {}).defaultHandler(slow));
    int sent = 0;
    for (; sent < 100; sent++) {
      fx.send(topic, "k" + (sent % 40), "id-" + sent, "T", sent);
    }
    fx.flush();
    await().atMost(WAIT).until(() -> settled(a) > 20);
    InboxConsumer b = fx.start(fx.builder(group, topic, x -> {}).defaultHandler(slow));
    // keep producing until the second consumer got partitions and handled some of them
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (settled(b) == 0 && System.nanoTime() < deadline) {
      for (int i = 0; i < 10; i++, sent++) {
        fx.send(topic, "k" + (sent % 40), "id-" + sent, "T", sent);
      }
      fx.flush();
      Thread.sleep(200);
    }
    assertThat(settled(b)).as("the second consumer took partitions over").isPositive();
    a.close(); // a second rebalance: b takes everything
    for (int i = 0; i < 100; i++, sent++) {
      fx.send(topic, "k" + (sent % 40), "id-" + sent, "T", sent);
    }
    fx.flush();
    int n = sent;
    await().atMost(WAIT).until(() -> fx.appliedIds().size() >= n);
    fx.awaitCommittedToEnd(group, topic, 4);
    assertThat(fx.appliedIds()).hasSize(n).doesNotHaveDuplicates();
  }

  @Test
  final void keepsPerKeyOrderWithConcurrencyRetriesAndBatchFallbacks() throws Exception {
    String topic = fx.topic(2);
    String group = ConsumerFixture.group();
    Set<Integer> failedOnce = ConcurrentHashMap.newKeySet();
    MessageHandler flaky =
        (m, tx) -> {
          int seq = Integer.parseInt(m.header("seq").orElseThrow());
          recording().handle(m, tx);
          if (seq % 7 == 3 && failedOnce.add(seq)) {
            throw new IllegalStateException("transient failure of seq " + seq);
          }
        };
    int keys = 12;
    int perKey = 15;
    for (int s = 0; s < perKey; s++) {
      for (int k = 0; k < keys; k++) {
        int seq = s * keys + k;
        fx.send(topic, "key-" + k, "id-" + seq, "T", seq);
      }
    }
    fx.flush();
    InboxConsumer c =
        fx.start(fx.builder(group, topic, b -> b.concurrency(4)).defaultHandler(flaky));
    await().atMost(WAIT).until(() -> count(c, InboxMetrics.HANDLED) == keys * perKey);
    List<String> rows = fx.column("SELECT msg_key, seq FROM applied ORDER BY n");
    assertThat(rows).hasSize(keys * perKey);
    Map<String, Integer> last = new HashMap<>();
    for (String row : rows) {
      String key = row.substring(0, row.indexOf(':'));
      int seq = Integer.parseInt(row.substring(row.indexOf(':') + 1));
      Integer previous = last.put(key, seq);
      assertThat(previous == null || previous < seq)
          .as("%s handled after %s of the same key", seq, previous)
          .isTrue();
    }
    assertThat(new HashSet<>(fx.column("SELECT worker FROM applied")))
        .as("records of different keys ran on different workers")
        .hasSizeGreaterThan(1);
    assertThat(count(c, InboxMetrics.RETRIES)).isGreaterThan(0);
    assertThat(count(c, InboxMetrics.BATCH_FALLBACKS))
        .as("a failing handler in a shared transaction replays its batch record by record")
        .isGreaterThan(0);
    fx.awaitCommittedToEnd(group, topic, 2);
  }

  @Test
  final void offsetsAreCommittedOnlyUpToTheFirstRecordNotDone() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    CountDownLatch release = new CountDownLatch(1);
    MessageHandler blocking =
        (m, tx) -> {
          if (m.messageId().equals("blocked")) {
            release.await(60, TimeUnit.SECONDS);
          }
          recording().handle(m, tx);
        };
    fx.send(topic, "a", "first", "T", 0);
    fx.send(topic, "a", "blocked", "T", 1);
    for (int i = 2; i < 12; i++) {
      fx.send(topic, "b" + i, "after-" + i, "T", i); // other keys, other workers
    }
    fx.flush();
    InboxConsumer c =
        fx.start(
            fx.builder(group, topic, b -> b.concurrency(4).batchEnabled(false))
                .defaultHandler(blocking));
    // keys on other workers than key a's are handled; the commit stops before the blocked one
    await().atMost(WAIT).until(() -> count(c, InboxMetrics.HANDLED) >= 4);
    TopicPartition tp = new TopicPartition(topic, 0);
    await().atMost(WAIT).until(() -> fx.committed(group).getOrDefault(tp, -1L) == 1L);
    Thread.sleep(500); // a few more poll loops: the commit must not move past the blocked record
    assertThat(fx.committed(group).get(tp)).isEqualTo(1L);
    assertThat(fx.appliedIds()).doesNotContain("blocked");
    release.countDown();
    fx.awaitCommittedToEnd(group, topic, 1);
    assertThat(fx.appliedIds()).contains("blocked").hasSize(12);
  }

  @Test
  final void aPoisonRecordReachesTheDeadLetterTopicWithEveryHeaderAndThePartitionFlows()
      throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    MessageHandler h =
        (m, tx) -> {
          recording().handle(m, tx);
          if (m.messageId().equals("poison")) {
            throw new IllegalStateException("cannot apply order");
          }
          if (m.messageId().equals("invalid")) {
            throw new NonRetriableException("order total is negative");
          }
        };
    fx.send(topic, "a", "ok-1", "OrderPlaced", 1);
    fx.send(topic, "p", "poison", "OrderPlaced", 2, "{\"poison\":true}");
    fx.send(topic, "a", "ok-2", "OrderPlaced", 3);
    fx.send(topic, "i", "invalid", "OrderPlaced", 4);
    fx.send(topic, "a", "ok-3", "OrderPlaced", 5);
    fx.flush();
    Instant before = Instant.now();
    InboxConsumer c = fx.start(fx.builder(group, topic, b -> {}).defaultHandler(h));
    await().atMost(WAIT).until(() -> settled(c) == 5);
    fx.awaitCommittedToEnd(group, topic, 1);
    assertThat(fx.appliedIds()).containsExactly("ok-1", "ok-2", "ok-3");
    assertThat(Inbox.create().isHandled(fx.db.dataSource(), group, "poison"))
        .as("a dead-lettered id is not recorded, so a redrive is handled")
        .isFalse();

    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 2);
    assertThat(dead).hasSize(2);
    ConsumerRecord<byte[], byte[]> d = dead.get(0);
    assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("p");
    assertThat(new String(d.value(), StandardCharsets.UTF_8)).isEqualTo("{\"poison\":true}");
    assertThat(header(d, "ce_id")).isEqualTo("poison");
    assertThat(header(d, "ce_type")).isEqualTo("OrderPlaced");
    assertThat(header(d, "tenant")).isEqualTo("acme");
    assertThat(header(d, DeadLetterHeaders.ORIGINAL_TOPIC)).isEqualTo(topic);
    assertThat(
            ByteBuffer.wrap(d.headers().lastHeader(DeadLetterHeaders.ORIGINAL_PARTITION).value())
                .getInt())
        .isZero();
    assertThat(
            ByteBuffer.wrap(d.headers().lastHeader(DeadLetterHeaders.ORIGINAL_OFFSET).value())
                .getLong())
        .isEqualTo(1L);
    assertThat(
            ByteBuffer.wrap(d.headers().lastHeader(DeadLetterHeaders.ORIGINAL_TIMESTAMP).value())
                .getLong())
        .isPositive();
    assertThat(header(d, DeadLetterHeaders.ORIGINAL_TIMESTAMP_TYPE)).isEqualTo("CreateTime");
    assertThat(header(d, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP)).isEqualTo(group);
    assertThat(header(d, DeadLetterHeaders.EXCEPTION_FQCN))
        .isEqualTo(IllegalStateException.class.getName());
    assertThat(header(d, DeadLetterHeaders.EXCEPTION_MESSAGE)).isEqualTo("cannot apply order");
    assertThat(header(d, DeadLetterHeaders.EXCEPTION_STACKTRACE))
        .startsWith("java.lang.IllegalStateException: cannot apply order")
        .contains(InboxConsumerContract.class.getName());
    assertThat(header(d, DeadLetterHeaders.REASON)).isEqualTo("retries-exhausted");
    assertThat(header(d, DeadLetterHeaders.ATTEMPTS)).isEqualTo("3");
    assertThat(header(d, DeadLetterHeaders.FINGERPRINT))
        .startsWith("java.lang.IllegalStateException@" + InboxConsumerContract.class.getName());
    Instant first = Instant.parse(header(d, DeadLetterHeaders.FIRST_FAILURE));
    Instant last = Instant.parse(header(d, DeadLetterHeaders.LAST_FAILURE));
    assertThat(first).isAfterOrEqualTo(before.minusSeconds(1)).isBefore(last);
    assertThat(header(d, DeadLetterHeaders.MESSAGE_ID)).isEqualTo("poison");

    ConsumerRecord<byte[], byte[]> nr = dead.get(1);
    assertThat(header(nr, DeadLetterHeaders.REASON)).isEqualTo("non-retriable");
    assertThat(header(nr, DeadLetterHeaders.ATTEMPTS)).isEqualTo("1");
    assertThat(count(c, InboxMetrics.RETRIES)).isEqualTo(2);
    assertThat(count(c, InboxMetrics.DEAD_LETTERED)).isEqualTo(2);
  }

  @Test
  final void orderedModeParksAKeyUntilItsMessageIsRedriven() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    AtomicBoolean broken = new AtomicBoolean(true);
    MessageHandler h =
        (m, tx) -> {
          if (m.messageId().equals("k-1") && broken.get()) {
            throw new IllegalStateException("downstream rejects k-1");
          }
          recording().handle(m, tx);
        };
    fx.send(topic, "k", "k-1", "T", 1);
    fx.send(topic, "j", "j-1", "T", 2);
    fx.send(topic, "k", "k-2", "T", 3);
    fx.send(topic, "k", "k-3", "T", 4);
    fx.send(topic, "j", "j-2", "T", 5);
    fx.flush();
    InboxConsumer c =
        fx.start(fx.builder(group, topic, b -> b.ordered(true).maxAttempts(2)).defaultHandler(h));
    await().atMost(WAIT).until(() -> settled(c) == 5);
    assertThat(fx.appliedIds()).containsExactly("j-1", "j-2");
    assertThat(c.parkedKeys()).containsEntry(topic + "/k", "k-1");
    assertThat(gauge(c, InboxMetrics.PARKED_KEYS)).isEqualTo(1);
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 3);
    assertThat(dead).extracting(r -> header(r, "ce_id")).containsExactly("k-1", "k-2", "k-3");
    assertThat(dead)
        .extracting(r -> header(r, DeadLetterHeaders.REASON))
        .containsExactly("retries-exhausted", "key-parked", "key-parked");
    assertThat(header(dead.get(1), DeadLetterHeaders.PARKED_BEHIND)).isEqualTo("k-1");

    // a new record of the parked key does not overtake either
    fx.send(topic, "k", "k-4", "T", 6);
    fx.flush();
    await().atMost(WAIT).until(() -> settled(c) == 6);
    assertThat(fx.appliedIds()).containsExactly("j-1", "j-2");

    // the parking survives a restart (it is in the database)
    c.close();
    InboxConsumer c2 =
        fx.start(fx.builder(group, topic, b -> b.ordered(true).maxAttempts(2)).defaultHandler(h));
    assertThat(c2.parkedKeys()).containsEntry(topic + "/k", "k-1");
    assertThat(gauge(c2, InboxMetrics.PARKED_KEYS)).as("read back from the database").isEqualTo(1);

    // redrive: the parked message first, then the ones behind it, then new traffic
    broken.set(false);
    fx.send(topic, "k", "k-1", "T", 1);
    fx.send(topic, "k", "k-2", "T", 3);
    fx.send(topic, "k", "k-3", "T", 4);
    fx.send(topic, "k", "k-4", "T", 6);
    fx.send(topic, "k", "k-5", "T", 7);
    fx.flush();
    await().atMost(WAIT).until(() -> fx.appliedIds().size() == 7);
    assertThat(fx.appliedIds()).containsExactly("j-1", "j-2", "k-1", "k-2", "k-3", "k-4", "k-5");
    assertThat(c2.parkedKeys()).isEmpty();
    assertThat(gauge(c2, InboxMetrics.PARKED_KEYS)).isZero();
  }

  @Test
  final void inFlightLagAndHandlerTimeShowARecordThatHoldsItsPartition() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    MessageHandler h =
        (m, tx) -> {
          if (m.messageId().equals("r-0")) {
            entered.countDown();
            release.await(60, TimeUnit.SECONDS);
          }
          recording().handle(m, tx);
        };
    for (int i = 0; i < 10; i++) {
      fx.send(topic, "a", "r-" + i, "T", i);
    }
    fx.flush();
    InboxConsumer c =
        fx.start(
            fx.builder(group, topic, b -> b.maxInFlight(1).batchEnabled(false))
                .kafka(Map.of("max.poll.records", "1"))
                .defaultHandler(h));
    assertThat(entered.await(60, TimeUnit.SECONDS)).isTrue();
    long heldFrom = System.nanoTime();
    // one record polled and not done: fetching pauses, the other nine wait in Kafka
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(gauge(c, InboxMetrics.IN_FLIGHT)).isEqualTo(1);
              assertThat(gauge(c, InboxMetrics.LAG)).isEqualTo(9);
            });
    Thread.sleep(300);
    long heldNanos = System.nanoTime() - heldFrom;
    release.countDown();
    await().atMost(WAIT).until(() -> count(c, InboxMetrics.HANDLED) == 10);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(gauge(c, InboxMetrics.IN_FLIGHT)).isZero();
              assertThat(gauge(c, InboxMetrics.LAG)).isZero();
            });
    Timer handlerTime =
        c.meterRegistry().get(InboxMetrics.HANDLER_DURATION).tag("topic", topic).timer();
    assertThat(handlerTime.count()).isEqualTo(10);
    assertThat(handlerTime.max(TimeUnit.NANOSECONDS))
        .as("the held record's handler ran at least as long as it was held")
        .isGreaterThanOrEqualTo(heldNanos);
    fx.awaitCommittedToEnd(group, topic, 1);
  }

  @Test
  final void aDeadLetterTopicThatCannotBeWrittenHoldsThePartitionAndIsCounted() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    String dlt = topic + ".DLT";
    // the dead-letter topic refuses every record: a dead letter (headers with a stack trace) is
    // far larger than 64 bytes
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", fx.kafka.bootstrapServers()))) {
      ConfigResource dltConfig = new ConfigResource(ConfigResource.Type.TOPIC, dlt);
      admin
          .incrementalAlterConfigs(
              Map.of(
                  dltConfig,
                  List.of(
                      new AlterConfigOp(
                          new ConfigEntry("max.message.bytes", "64"), AlterConfigOp.OpType.SET))))
          .all()
          .get(30, TimeUnit.SECONDS);
      MessageHandler h =
          (m, tx) -> {
            if (m.messageId().equals("bad")) {
              throw new NonRetriableException("rejected");
            }
            recording().handle(m, tx);
          };
      fx.send(topic, "a", "ok-1", "T", 1);
      fx.send(topic, "b", "bad", "T", 2);
      fx.send(topic, "a", "ok-2", "T", 3);
      fx.flush();
      InboxConsumer c =
          fx.start(
              fx.builder(group, topic, b -> {})
                  .producer(
                      Map.of(
                          "delivery.timeout.ms", "1500",
                          "request.timeout.ms", "1000",
                          "max.block.ms", "1000"))
                  .defaultHandler(h));
      await().atMost(WAIT).until(() -> count(c, InboxMetrics.INFRASTRUCTURE_FAILURES) >= 2);
      TopicPartition tp = new TopicPartition(topic, 0);
      assertThat(fx.committed(group).getOrDefault(tp, 0L))
          .as("the partition waits at the record that could not be dead-lettered")
          .isLessThanOrEqualTo(1L);
      assertThat(count(c, InboxMetrics.DEAD_LETTERED)).isZero();
      admin
          .incrementalAlterConfigs(
              Map.of(
                  dltConfig,
                  List.of(
                      new AlterConfigOp(
                          new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE))))
          .all()
          .get(30, TimeUnit.SECONDS);
      fx.awaitCommittedToEnd(group, topic, 1);
      assertThat(count(c, InboxMetrics.DEAD_LETTERED)).isEqualTo(1);
      assertThat(fx.readAll(dlt, 1)).extracting(r -> header(r, "ce_id")).contains("bad");
      assertThat(fx.appliedIds()).containsExactlyInAnyOrder("ok-1", "ok-2");
    }
  }

  @Test
  final void unknownEventTypesFollowTheirPolicyAndUpcastersRunFirst() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    List<String> seen = new ArrayList<>();
    MessageHandler placed =
        (m, tx) -> {
          synchronized (seen) {
            seen.add(m.eventType().orElseThrow() + " " + m.valueAsString());
          }
          recording().handle(m, tx);
        };
    fx.send(topic, "a", "u-1", "OrderPlaced.v1", 1, "{\"amount\":5}");
    fx.send(topic, "a", "u-2", "OrderPlaced", 2, "{\"total\":6}");
    fx.send(topic, "a", "u-3", "Unheard", 3);
    fx.send(topic, "a", "u-4", null, 4);
    fx.flush();
    InboxConsumer skip =
        fx.start(
            fx.builder(group, topic, b -> b.unknownTypePolicy(UnknownTypePolicy.SKIP))
                .handler("OrderPlaced", placed)
                .upcaster(
                    Upcaster.ofType(
                        "OrderPlaced.v1", "OrderPlaced", v -> v.replace("amount", "total"))));
    await().atMost(WAIT).until(() -> settled(skip) == 4);
    assertThat(seen).containsExactly("OrderPlaced {\"total\":5}", "OrderPlaced {\"total\":6}");
    assertThat(count(skip, InboxMetrics.SKIPPED)).isEqualTo(2);
    fx.awaitCommittedToEnd(group, topic, 1);

    String group2 = ConsumerFixture.group();
    InboxConsumer dlt =
        fx.start(
            fx.builder(group2, topic, b -> {})
                .handler("OrderPlaced", placed)
                .upcaster(
                    Upcaster.ofType(
                        "OrderPlaced.v1", "OrderPlaced", v -> v.replace("amount", "total"))));
    await().atMost(WAIT).until(() -> settled(dlt) == 4);
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 2);
    assertThat(dead).extracting(r -> header(r, "ce_id")).containsExactly("u-3", "u-4");
    assertThat(dead)
        .extracting(r -> header(r, DeadLetterHeaders.REASON))
        .containsOnly("unknown-type");
    assertThat(header(dead.get(0), DeadLetterHeaders.EXCEPTION_MESSAGE)).contains("'Unheard'");
  }

  @Test
  final void recordsWithoutIdFollowTheMissingIdPolicy() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    fx.send(topic, "a", null, "T", 1);
    fx.send(topic, "a", "has-id", "T", 2);
    fx.flush();
    InboxConsumer derive =
        fx.start(
            fx.builder(
                    group, topic, b -> b.missingIdPolicy(MissingIdPolicy.DERIVE_FROM_COORDINATES))
                .defaultHandler(recording()));
    await().atMost(WAIT).until(() -> settled(derive) == 2);
    assertThat(fx.appliedIds()).containsExactly(topic + "/0/0", "has-id");
    assertThat(count(derive, InboxMetrics.DERIVED_IDS)).isEqualTo(1);

    InboxConsumer strict =
        fx.start(fx.builder(ConsumerFixture.group(), topic, b -> {}).defaultHandler(recording()));
    await().atMost(WAIT).until(() -> settled(strict) == 2);
    List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(topic + ".DLT", 1);
    assertThat(dead).hasSize(1);
    assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).isEqualTo("missing-id");
    assertThat(header(dead.get(0), "seq")).isEqualTo("1");
  }

  @Test
  final void housekeepingDeletesOnlyExpiredIdsOfItsGroup() throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    Instant old = Instant.now().minus(Duration.ofHours(2));
    try (Connection c = fx.db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO waybill_inbox (consumer_group, message_id, handled_at)"
                    + " VALUES (?, ?, ?)")) {
      for (String[] row :
          new String[][] {{group, "old-1"}, {group, "old-2"}, {group, "old-3"}, {"other", "o"}}) {
        st.setString(1, row[0]);
        st.setString(2, row[1]);
        dev.waybill.outbox.dialect.Dialect.of(c).setInstant(st, 3, old);
        st.executeUpdate();
      }
    }
    fx.send(topic, "a", "fresh", "T", 1);
    fx.flush();
    InboxConsumer c =
        fx.start(
            fx.builder(
                    group,
                    topic,
                    b -> b.dedupWindow(Duration.ofHours(1)).housekeeping(Duration.ofSeconds(1), 2))
                .defaultHandler(recording()));
    await()
        .atMost(WAIT)
        .until(
            () ->
                fx.column("SELECT message_id FROM waybill_inbox ORDER BY message_id")
                    .equals(List.of("fresh", "o")));
    assertThat(count(c, InboxMetrics.EXPIRED_DELETED)).isEqualTo(3);
  }

  @Test
  final void aDatabaseOutageUnderARunningConsumerLosesNothingAndAppliesNothingTwice()
      throws Exception {
    try (Drill outage = databaseOutage()) {
      ConsumerFixture f = outage.fixture();
      String topic = f.topic(2);
      String group = ConsumerFixture.group();
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch outageBegan = new CountDownLatch(1);
      MessageHandler h =
          (m, tx) -> {
            if (m.messageId().equals("held") && held.getCount() > 0) {
              // inside its transaction (the id is recorded, not committed) when the database goes
              held.countDown();
              outageBegan.await(60, TimeUnit.SECONDS);
            }
            recording().handle(m, tx);
          };
      InboxConsumer c =
          f.start(
              f.builder(group, topic, b -> b.concurrency(3))
                  .dataSource(outage.consumerDataSource())
                  .defaultHandler(h));
      List<String> sent = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean producing = new AtomicBoolean(true);
      Thread writer =
          new Thread(
              () -> {
                for (int seq = 0; producing.get(); ) {
                  for (int i = 0; i < 10; i++, seq++) {
                    String id = seq == 60 ? "held" : "m-" + seq;
                    f.send(topic, "k" + (seq % 8), id, "T", seq);
                    sent.add(id);
                  }
                  f.flush();
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "outage-drill-writer");
      writer.start();
      try {
        assertThat(held.await(60, TimeUnit.SECONDS))
            .as("the held record reached its handler")
            .isTrue();
        outage.takeDown();
        int atDown = sent.size();
        try {
          outageBegan.countDown();
          // the held transaction's next statement fails, then getting a connection does, again
          // and again (1 s each, 3 workers), while records keep arriving; a consumer that took
          // these for handler failures would retry and dead-letter meanwhile (asserted below)
          await()
              .atMost(WAIT)
              .until(
                  () ->
                      attemptOrDeadLetter(c)
                          || count(c, InboxMetrics.INFRASTRUCTURE_FAILURES) >= 8
                              && sent.size() >= atDown + 300);
          assertThat(count(c, InboxMetrics.RETRIES))
              .as("database failures are not handler attempts")
              .isZero();
          assertThat(count(c, InboxMetrics.DEAD_LETTERED))
              .as("database failures never dead-letter a record")
              .isZero();
        } finally {
          outage.bringBack();
        }
        int atReturn = sent.size();
        await().atMost(WAIT).until(() -> sent.size() >= atReturn + 100);
      } finally {
        producing.set(false);
        writer.join(10_000);
      }
      await()
          .alias("the consumer resumes by itself once the database is back")
          .atMost(WAIT)
          .until(() -> settled(c) >= sent.size());
      f.awaitCommittedToEnd(group, topic, 2);

      assertThat(f.column("SELECT message_id FROM applied GROUP BY message_id HAVING COUNT(*) > 1"))
          .as("ids applied more than once")
          .isEmpty();
      assertThat(f.appliedIds())
          .as("every record produced before, during and after the outage, applied once")
          .containsExactlyInAnyOrderElementsOf(sent);
      assertThat(inboxIds(f, group)).containsExactlyInAnyOrderElementsOf(sent);
      assertPerKeyOrder(f.column("SELECT msg_key, seq FROM applied ORDER BY n"));
      assertThat(f.endOffsets(topic + ".DLT", 1).values())
          .as("records on the dead-letter topic")
          .containsOnly(0L);
      assertThat(count(c, InboxMetrics.DEAD_LETTERED)).isZero();
      assertThat(count(c, InboxMetrics.RETRIES))
          .as("database failures are not handler attempts")
          .isZero();
      assertThat(settled(c)).as("each record settled once").isEqualTo(sent.size());
      assertThat(count(c, InboxMetrics.INFRASTRUCTURE_FAILURES)).isGreaterThanOrEqualTo(8);
      c.close();
    }
  }

  @Test
  final void eachDatabaseStepOfARecordThatLosesTheDatabaseIsWaitedOutAndNoOffsetPassesIt()
      throws Exception {
    try (Drill outage = databaseOutage()) {
      ConsumerFixture f = outage.fixture();
      String topic = f.topic(1);
      String group = ConsumerFixture.group();
      CountDownLatch inHandler = new CountDownLatch(1);
      CountDownLatch handlerGoesOn = new CountDownLatch(1);
      CountDownLatch atCommit = new CountDownLatch(1);
      CountDownLatch commitGoesOn = new CountDownLatch(1);
      MessageHandler h =
          (m, tx) -> {
            if (m.messageId().equals("in-handler") && inHandler.getCount() > 0) {
              inHandler.countDown();
              handlerGoesOn.await(60, TimeUnit.SECONDS); // then its statement finds no database
            }
            recording().handle(m, tx);
            if (m.messageId().equals("at-commit") && atCommit.getCount() > 0) {
              atCommit.countDown();
              commitGoesOn.await(60, TimeUnit.SECONDS); // then the commit finds no database
            }
          };
      List<String> ids =
          List.of("r-0", "at-insert", "r-2", "in-handler", "r-4", "at-commit", "r-6", "r-7");
      for (int i = 0; i < ids.size(); i++) {
        f.send(topic, "k", ids.get(i), "T", i);
      }
      f.flush();
      // another transaction holds the inbox row of "at-insert": recording that id waits for it
      Connection lock = f.db.connect();
      lock.setAutoCommit(false);
      try (PreparedStatement st =
          lock.prepareStatement(
              "INSERT INTO waybill_inbox (consumer_group, message_id) VALUES (?, ?)")) {
        st.setString(1, group);
        st.setString(2, "at-insert");
        st.executeUpdate();
      }
      InboxConsumer c1 =
          f.start(
              f.builder(group, topic, b -> b.batchEnabled(false))
                  .dataSource(outage.consumerDataSource())
                  .defaultHandler(h));

      // 1. recording the id (the inbox's own statement) loses the database
      await().atMost(WAIT).until(() -> lockWaits(f) == 1);
      double before = count(c1, InboxMetrics.INFRASTRUCTURE_FAILURES);
      outage.takeDown();
      try {
        awaitInfrastructureFailure(c1, before);
      } finally {
        closeQuietly(lock); // rolls the other transaction back (the stopped server did already)
        outage.bringBack();
      }

      // 2. a statement of the handler, inside the inbox transaction, loses the database
      assertThat(inHandler.await(60, TimeUnit.SECONDS))
          .as("the consumer resumed by itself after the first outage")
          .isTrue();
      double before2 = count(c1, InboxMetrics.INFRASTRUCTURE_FAILURES);
      outage.takeDown();
      try {
        handlerGoesOn.countDown();
        awaitInfrastructureFailure(c1, before2);
      } finally {
        outage.bringBack();
      }

      // 3. the commit loses the database, and the consumer is closed before it is back
      assertThat(atCommit.await(60, TimeUnit.SECONDS))
          .as("the consumer resumed by itself after the second outage")
          .isTrue();
      double before3 = count(c1, InboxMetrics.INFRASTRUCTURE_FAILURES);
      outage.takeDown();
      try {
        commitGoesOn.countDown();
        awaitInfrastructureFailure(c1, before3);
        c1.close();
        assertThat(f.committed(group).get(new TopicPartition(topic, 0)))
            .as("the committed offset stops at the record whose transaction did not commit")
            .isEqualTo(5L);
      } finally {
        outage.bringBack();
      }
      assertThat(count(c1, InboxMetrics.RETRIES))
          .as("database failures are not handler attempts")
          .isZero();
      assertThat(count(c1, InboxMetrics.DEAD_LETTERED)).isZero();
      assertThat(count(c1, InboxMetrics.INFRASTRUCTURE_FAILURES)).isGreaterThanOrEqualTo(3);
      assertThat(count(c1, InboxMetrics.HANDLED))
          .as("r-0, at-insert, r-2, in-handler, r-4")
          .isEqualTo(5);

      InboxConsumer c2 =
          f.start(
              f.builder(group, topic, b -> b.batchEnabled(false))
                  .dataSource(outage.consumerDataSource())
                  .defaultHandler(h));
      await().atMost(WAIT).until(() -> settled(c2) >= 3);
      f.awaitCommittedToEnd(group, topic, 1);
      assertThat(f.appliedIds())
          .as("every record applied once, in order")
          .containsExactlyElementsOf(ids);
      assertThat(inboxIds(f, group)).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(f.endOffsets(topic + ".DLT", 1).values())
          .as("records on the dead-letter topic")
          .containsOnly(0L);
      assertThat(count(c2, InboxMetrics.RETRIES)).isZero();
      assertThat(count(c2, InboxMetrics.DEAD_LETTERED)).isZero();
      c2.close();
    }
  }

  @Test
  final void anOutageWhileParkingAKeyIsWaitedOutAndTheKeyStaysParked() throws Exception {
    try (Drill outage = databaseOutage();
        LogLines logs = LogLines.of("dev.waybill.inbox")) {
      ConsumerFixture f = outage.fixture();
      String topic = f.topic(1);
      String group = ConsumerFixture.group();
      String poisonFailure = "downstream rejects k-1";
      AtomicInteger poisonRuns = new AtomicInteger();
      MessageHandler h =
          (m, tx) -> {
            if (m.messageId().equals("k-1")) {
              poisonRuns.incrementAndGet();
              throw new IllegalStateException(poisonFailure);
            }
            recording().handle(m, tx);
          };
      // The consumer asks whether a failure is worth another attempt after the attempt's
      // transaction was rolled back and its connection given back, and before it parks the key:
      // the database goes away right there, so the park is the first write to meet the outage. (A
      // handler that took the database down itself would fail on a dead connection: that is waited
      // out as a database step, and the key would be parked only after the database is back.)
      CountDownLatch wentDown = new CountDownLatch(1);
      Predicate<Throwable> retriable =
          t -> {
            boolean poison = poisonFailure.equals(t.getMessage());
            if (poison && wentDown.getCount() > 0) {
              outage.takeDown();
              wentDown.countDown();
            }
            return !poison;
          };
      Supplier<InboxConsumer.Builder> builder =
          () ->
              f.builder(group, topic, b -> b.ordered(true).concurrency(1).batchEnabled(false))
                  .dataSource(outage.consumerDataSource())
                  .retryIf(retriable)
                  .defaultHandler(h);
      f.send(topic, "k", "k-1", "T", 1);
      f.send(topic, "j", "j-1", "T", 2);
      f.send(topic, "k", "k-2", "T", 3);
      f.send(topic, "j", "j-2", "T", 4);
      f.flush();
      InboxConsumer c = f.start(builder.get());
      TopicPartition tp = new TopicPartition(topic, 0);

      assertThat(wentDown.await(60, TimeUnit.SECONDS))
          .as("k-1's handler failed and the database went away before its key was parked")
          .isTrue();
      try {
        // one worker: while it waits to park k's key no other record reaches the database, so
        // every failure counted meanwhile is a park write (on a pooled connection the server
        // ended, or getting a new one), tried again after 100 ms, 200 ms, ... The database stays
        // away for at least 2.5 s; a consumer that gave up parking would dead-letter k-1 meanwhile.
        long downSince = System.nanoTime();
        await()
            .atMost(WAIT)
            .until(
                () ->
                    count(c, InboxMetrics.DEAD_LETTERED) > 0
                        || System.nanoTime() - downSince >= TimeUnit.MILLISECONDS.toNanos(2_500)
                            && (!parkWarnings(logs).isEmpty()
                                || count(c, InboxMetrics.INFRASTRUCTURE_FAILURES) > 0));
        assertThat(count(c, InboxMetrics.DEAD_LETTERED))
            .as("nothing is dead-lettered while its key cannot be parked")
            .isZero();
        List<String> lines = parkWarnings(logs);
        assertThat(lines)
            .as("WARN lines of the park writes that met the outage")
            .isNotEmpty()
            .allSatisfy(
                line ->
                    assertThat(line)
                        .contains("inbox consumer " + c.name())
                        .contains("message k-1 at " + topic + "-0@0")
                        .contains("waiting"));
        assertThat(count(c, InboxMetrics.INFRASTRUCTURE_FAILURES))
            .as("each failed park write is an infrastructure failure (%s WARN lines)", lines.size())
            .isGreaterThanOrEqualTo(lines.size());
        assertThat(f.committed(group).getOrDefault(tp, 0L))
            .as("the committed offset does not pass k-1, whose key is not parked yet")
            .isLessThanOrEqualTo(0L);
        assertThat(count(c, InboxMetrics.HANDLED)).as("the records behind k-1 wait").isZero();
      } finally {
        outage.bringBack();
      }

      await()
          .alias("the consumer parks the key and goes on once the database is back")
          .atMost(WAIT)
          .until(() -> settled(c) >= 4);
      f.awaitCommittedToEnd(group, topic, 1);
      assertThat(c.parkedKeys()).containsOnly(entry(topic + "/k", "k-1"));
      assertThat(gauge(c, InboxMetrics.PARKED_KEYS)).isEqualTo(1);
      assertThat(parkedRows(f, group))
          .as("the parked key in the database")
          .containsExactly(topic + ":k:k-1");
      List<ConsumerRecord<byte[], byte[]>> dead = f.readAll(topic + ".DLT", 2);
      assertThat(dead).extracting(r -> header(r, "ce_id")).containsExactly("k-1", "k-2");
      assertThat(dead)
          .extracting(r -> header(r, DeadLetterHeaders.REASON))
          .containsExactly("non-retriable", "key-parked");
      assertThat(header(dead.get(0), DeadLetterHeaders.ATTEMPTS)).isEqualTo("1");
      assertThat(header(dead.get(0), DeadLetterHeaders.EXCEPTION_MESSAGE)).isEqualTo(poisonFailure);
      assertThat(header(dead.get(1), DeadLetterHeaders.PARKED_BEHIND)).isEqualTo("k-1");
      assertThat(f.appliedIds())
          .as("the other key's records, each applied once, in order")
          .containsExactly("j-1", "j-2");
      assertThat(inboxIds(f, group)).containsExactlyInAnyOrder("j-1", "j-2");
      assertThat(poisonRuns.get())
          .as("k-1's handler ran once: the failed park writes caused no second attempt")
          .isEqualTo(1);
      assertThat(count(c, InboxMetrics.RETRIES))
          .as("database failures are not handler attempts")
          .isZero();
      assertThat(count(c, InboxMetrics.DEAD_LETTERED)).isEqualTo(2);
      assertThat(count(c, InboxMetrics.HANDLED)).isEqualTo(2);
      c.close();

      // the parking survives a restart: later records of k still do not overtake k-1
      InboxConsumer c2 = f.start(builder.get());
      assertThat(c2.parkedKeys())
          .as("read back from the database")
          .containsOnly(entry(topic + "/k", "k-1"));
      f.send(topic, "k", "k-3", "T", 5);
      f.send(topic, "j", "j-3", "T", 6);
      f.flush();
      await().atMost(WAIT).until(() -> settled(c2) >= 2);
      f.awaitCommittedToEnd(group, topic, 1);
      dead = f.readAll(topic + ".DLT", 3);
      assertThat(dead).extracting(r -> header(r, "ce_id")).containsExactly("k-1", "k-2", "k-3");
      assertThat(header(dead.get(2), DeadLetterHeaders.REASON)).isEqualTo("key-parked");
      assertThat(header(dead.get(2), DeadLetterHeaders.PARKED_BEHIND)).isEqualTo("k-1");
      assertThat(f.appliedIds()).containsExactly("j-1", "j-2", "j-3");
      assertThat(settled(c2)).isEqualTo(2);
      assertThat(count(c2, InboxMetrics.RETRIES)).isZero();
      c2.close();
    }
  }

  @Test
  final void aBatchWhoseConnectionIsDroppedIsReplayedOnceAndCountedAsAnInfrastructureFailure()
      throws Exception {
    String topic = fx.topic(1);
    String group = ConsumerFixture.group();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch goOn = new CountDownLatch(1);
    MessageHandler h =
        (m, tx) -> {
          if (m.messageId().equals("b-0") && entered.getCount() > 0) {
            entered.countDown();
            goOn.await(60, TimeUnit.SECONDS); // then its statement finds the session ended
          }
          recording().handle(m, tx);
        };
    List<String> ids = List.of("b-0", "b-1", "b-2");
    for (int i = 0; i < ids.size(); i++) {
      fx.send(topic, "k", ids.get(i), "T", i);
    }
    fx.flush();
    InboxConsumer c = fx.start(fx.builder(group, topic, b -> {}).defaultHandler(h));
    assertThat(entered.await(60, TimeUnit.SECONDS)).isTrue();
    fx.db.endOtherSessions(); // the server ends the batch's session, the database stays up
    goOn.countDown();
    await().atMost(WAIT).until(() -> settled(c) >= 3);
    fx.awaitCommittedToEnd(group, topic, 1);
    assertThat(fx.appliedIds()).containsExactlyElementsOf(ids);
    assertThat(count(c, InboxMetrics.BATCH_FALLBACKS))
        .as("the three records shared a batch, which was replayed record by record")
        .isEqualTo(1);
    assertThat(count(c, InboxMetrics.INFRASTRUCTURE_FAILURES))
        .as("the lost connection of the batch is a failure of a database step")
        .isGreaterThanOrEqualTo(1);
    assertThat(count(c, InboxMetrics.RETRIES)).isZero();
    assertThat(count(c, InboxMetrics.DEAD_LETTERED)).isZero();
    assertThat(fx.endOffsets(topic + ".DLT", 1).values()).containsOnly(0L);
  }

  /** Whether the consumer counted a handler attempt that failed, or dead-lettered a record. */
  static boolean attemptOrDeadLetter(InboxConsumer c) {
    return count(c, InboxMetrics.RETRIES) > 0 || count(c, InboxMetrics.DEAD_LETTERED) > 0;
  }

  /**
   * Waits until the consumer counted an infrastructure failure beyond {@code before} (or, if it is
   * broken, an attempt or a dead letter instead), then asserts that it was the former.
   */
  static void awaitInfrastructureFailure(InboxConsumer c, double before) {
    await()
        .atMost(WAIT)
        .until(
            () ->
                attemptOrDeadLetter(c) || count(c, InboxMetrics.INFRASTRUCTURE_FAILURES) > before);
    assertThat(count(c, InboxMetrics.RETRIES))
        .as("database failures are not handler attempts")
        .isZero();
    assertThat(count(c, InboxMetrics.DEAD_LETTERED))
        .as("database failures never dead-letter a record")
        .isZero();
    assertThat(count(c, InboxMetrics.INFRASTRUCTURE_FAILURES))
        .as("the failed database step is counted")
        .isGreaterThan(before);
  }

  /** The consumer's WARN lines about a park write that failed. */
  static List<String> parkWarnings(LogLines logs) {
    return logs.atLeast(Level.WARN).stream().filter(l -> l.contains("cannot park key")).toList();
  }

  /** A group's parked keys in the database, as {@code topic:key:message id}. */
  static List<String> parkedRows(ConsumerFixture f, String group) throws SQLException {
    return f.column(
        "SELECT topic, msg_key, message_id FROM waybill_inbox_parked WHERE consumer_group = '"
            + group
            + "'");
  }

  /** The ids the inbox recorded for a group. */
  static List<String> inboxIds(ConsumerFixture f, String group) throws SQLException {
    return f.column("SELECT message_id FROM waybill_inbox WHERE consumer_group = '" + group + "'");
  }

  /** Rows {@code key:seq} in the order they were applied: each key's seqs increase. */
  static void assertPerKeyOrder(List<String> rows) {
    Map<String, Integer> last = new HashMap<>();
    for (String row : rows) {
      String key = row.substring(0, row.indexOf(':'));
      int seq = Integer.parseInt(row.substring(row.indexOf(':') + 1));
      Integer previous = last.put(key, seq);
      assertThat(previous == null || previous < seq)
          .as("%s handled after %s of the same key", seq, previous)
          .isTrue();
    }
  }

  /** Sessions of the fixture's database that wait for a row lock. */
  static long lockWaits(ConsumerFixture f) throws SQLException {
    String sql =
        switch (f.db.kind()) {
          case POSTGRES ->
              "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                  + " AND wait_event_type = 'Lock'";
          case MARIADB ->
              "SELECT COUNT(*) FROM information_schema.innodb_trx t"
                  + " JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id"
                  + " WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()";
          case H2 -> throw new UnsupportedOperationException("no lock views on H2");
        };
    try (Connection c = f.db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static void closeQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      // the server ended the session already
    }
    try {
      c.close();
    } catch (SQLException e) {
      // same
    }
  }
}
