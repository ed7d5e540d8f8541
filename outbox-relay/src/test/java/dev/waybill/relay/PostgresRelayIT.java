package dev.waybill.relay;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.DatabaseOutage;
import dev.waybill.testkit.InProcessKafka;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/** The relay contract on PostgreSQL, plus what only PostgreSQL has, and failure drills. */
class PostgresRelayIT extends RelayContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  Dialect dialect() {
    return Dialect.postgres();
  }

  /**
   * A real server restart: a PostgreSQL server of this test's own (embedded, never the machine's
   * shared one) is stopped with a fast shutdown, which ends every session, and started again on the
   * same data directory and port.
   */
  @Override
  DatabaseOutage databaseOutage() {
    DatabaseOutage outage = DatabaseOutage.ownPostgresServer();
    try {
      SchemaMigrator.builder().dataSource(outage.database().dataSource()).build().migrate();
    } catch (RuntimeException e) {
      outage.close();
      throw e;
    }
    return outage;
  }

  @Test
  void notifyWakesAnIdleRelayLongBeforeItsNextPoll() throws Exception {
    Relay r =
        start(
            config("r1")
                .pollInterval(Duration.ofSeconds(60))
                .lease(Duration.ofSeconds(90), Duration.ofSeconds(25))
                .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> r.status().listening());
    Thread.sleep(
        8_000); // idle: the poll backoff is now over 5 s and the next lease tick ~17 s away
    write(List.of(msg("wake", 1)));
    assertThat(Published.read(topic, 1, Duration.ofSeconds(3)))
        .as("published within 3 s: only NOTIFY can have woken the relay")
        .hasSize(1);
  }

  @Test
  void keepsPerKeyOrderWithFiveRelaysAndRandomCrashes() throws Exception {
    Random random = new Random(42);
    List<PollingRelay> live = new ArrayList<>();
    int started = 0;
    for (; started < 5; started++) {
      live.add((PollingRelay) start(config("r" + started).batchSize(40).build()));
    }
    int total = 2000;
    AtomicInteger written = new AtomicInteger();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int n = 0; n < total; n += 40) {
                  List<OutboxMessage> ms = new ArrayList<>();
                  for (int i = n; i < n + 40; i++) {
                    ms.add(msg("k" + (i % 50), i));
                  }
                  write(ms);
                  written.addAndGet(40);
                  Thread.sleep(25);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    writer.start();
    for (int crash = 0; crash < 3; crash++) {
      Thread.sleep(1_200);
      PollingRelay victim = live.remove(random.nextInt(live.size()));
      victim.crash(); // no lease given back: its shards move after the lease time
      live.add((PollingRelay) start(config("r" + started++).batchSize(40).build()));
    }
    writer.join(120_000);
    assertThat(written.get()).isEqualTo(total);
    await().atMost(Duration.ofSeconds(60)).until(() -> outboxRows() == 0);
    List<Published.Rec> recs = Published.read(topic, total, Duration.ofSeconds(60));
    assertThat(recs.stream().map(Published.Rec::id).distinct().count()).isEqualTo(total);
    assertPerKeyOrder(recs);
  }

  @Test
  void aMessageThatKeepsFailingWhileOthersAreAcknowledgedIsDeadLetteredAfterMaxAttempts()
      throws Exception {
    // a broker that does not create topics on demand: a message to a missing topic can never be
    // sent (the producer waits for its metadata until max.block.ms), while other topics work
    try (InProcessKafka strict =
            InProcessKafka.launch(
                Path.of("target").toAbsolutePath(), Map.of("auto.create.topics.enable", "false"));
        Admin admin = Admin.create(Map.of("bootstrap.servers", strict.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, SECONDS);
      insertRow(topic + "-missing", "stuck", null);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      start(
          config("r1")
              .bootstrapServers(strict.bootstrapServers())
              .kafka("max.block.ms", "500")
              .maxAttempts(2)
              .build(),
          registry);
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger written = new AtomicInteger();
      Thread writer = // other messages keep being acknowledged, so the failures count as attempts
          new Thread(
              () -> {
                try {
                  while (writing.get()) {
                    write(List.of(msg("good", written.getAndIncrement())));
                    Thread.sleep(100);
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      writer.start();
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 1);
      } finally {
        writing.set(false);
        writer.join(10_000);
      }
      assertThat(assertRetriesExhausted(this::text, "msg_key = 'stuck'", 2))
          .contains("TimeoutException")
          .contains(topic + "-missing");
      assertThat(counter(registry, "waybill.relay.retried"))
          .as("each failed send of the stuck message")
          .isGreaterThanOrEqualTo(2);
      assertThat(counter(registry, "waybill.relay.dead.lettered")).isEqualTo(1);
      await().atMost(Duration.ofSeconds(20)).until(() -> outboxRows() == 0);
      assertThat(counter(registry, "waybill.relay.published"))
          .as("every other message was published")
          .isGreaterThanOrEqualTo(written.get());
    }
  }

  @Test
  void aMessageTheBrokerKeepsRefusingAfterItLeftTheClientIsDeadLetteredAfterMaxAttempts()
      throws Exception {
    // The refusing topic's leader answers every acks=all write with NOT_ENOUGH_REPLICAS (see
    // RefusingCluster): a retriable error from the broker, after the record left the client,
    // while the good topic on the same broker (and in the same produce requests) is acknowledged.
    // The producer retries until relay.send.timeout expires the batch; each expiry counts as one
    // attempt, because other messages were acknowledged.
    String refusing = topic + "-refusing";
    try (RefusingCluster cluster = RefusingCluster.start(topic, 3, refusing);
        LogLines logs = LogLines.of("dev.waybill.relay")) {
      insertRow(refusing, "stuck", null);
      // the same key behind it, sent in the same batches and refused as often: it must wait in
      // the outbox behind the dead letter, not be dead-lettered with it
      insertRow(refusing, "stuck", null);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      start(
          config("r1").bootstrapServers(cluster.bootstrapServers()).maxAttempts(2).build(),
          registry);
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger written = new AtomicInteger();
      Thread writer =
          new Thread(
              () -> {
                try {
                  while (writing.get()) {
                    int n = written.get();
                    write(List.of(msg("good-" + (n % 3), n)));
                    written.incrementAndGet();
                    Thread.sleep(50);
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      writer.start();
      try {
        await("the refused message dead-lettered after 2 attempts")
            .atMost(Duration.ofSeconds(30))
            .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") >= 1);
      } finally {
        writing.set(false);
        writer.join(10_000);
      }
      RefusingCluster.assertRefusal(
          assertRetriesExhausted(this::text, "msg_key = 'stuck' AND topic = '" + refusing + "'", 2),
          refusing);
      assertThat(counter(registry, "waybill.relay.dead.lettered")).isEqualTo(1);
      String firstId =
          text(
              "SELECT id FROM waybill_outbox_dead_letter WHERE msg_key = 'stuck' AND topic = '"
                  + refusing
                  + "'");
      assertThat(logs.atLeast(Level.WARN))
          .as("each failed attempt is logged with the message, its topic and what happens next")
          .anySatisfy(
              line ->
                  assertThat(line)
                      .startsWith("relay r1: send of message " + firstId + " (topic " + refusing)
                      .contains("attempt 1 of 2, will retry"));
      assertThat(counter(registry, "waybill.relay.retried"))
          .as("each failed send of the refused message")
          .isGreaterThanOrEqualTo(2);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  count("SELECT COUNT(*) FROM waybill_outbox WHERE topic = '" + topic + "'") == 0);
      assertThat(count("SELECT COUNT(*) FROM waybill_outbox_dead_letter"))
          .as("only the first message of the key is dead-lettered; the later one waits behind it")
          .isEqualTo(1);
      assertThat(
              count(
                  "SELECT COUNT(*) FROM waybill_outbox WHERE msg_key = 'stuck' AND topic = '"
                      + refusing
                      + "' AND seq > (SELECT seq FROM waybill_outbox_dead_letter)"))
          .as("the later message of the key waits in the outbox behind the dead letter")
          .isEqualTo(1);
      List<Published.Rec> recs =
          Published.read(cluster.bootstrapServers(), topic, written.get(), Duration.ofSeconds(30));
      assertThat(recs.stream().map(Published.Rec::id).distinct().count())
          .as("every other message was published, though the failures aborted their requests")
          .isEqualTo(written.get());
      assertPerKeyOrder(recs);
      assertThat(cluster.endOffset(refusing, 0))
          .as("the broker never took the refused topic's records")
          .isZero();
    }
  }

  @Test
  void aTopicTheRelayMayNotWriteIsDeadLetteredAndOtherTopicsKeepFlowing() throws Exception {
    // a broker with an authorizer that allows everything except writing to one topic
    String forbidden = topic + "-forbidden";
    try (InProcessKafka guarded =
            InProcessKafka.launch(
                Path.of("target").toAbsolutePath(),
                Map.of(
                    "authorizer.class.name",
                    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                    "allow.everyone.if.no.acl.found",
                    "true"));
        Admin admin = Admin.create(Map.of("bootstrap.servers", guarded.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(new NewTopic(topic, 3, (short) 1), new NewTopic(forbidden, 1, (short) 1)))
          .all()
          .get(30, SECONDS);
      admin
          .createAcls(
              List.of(
                  new AclBinding(
                      new ResourcePattern(ResourceType.TOPIC, forbidden, PatternType.LITERAL),
                      new AccessControlEntry(
                          "User:ANONYMOUS", "*", AclOperation.WRITE, AclPermissionType.DENY))))
          .all()
          .get(30, SECONDS);
      write(
          List.of(msg(forbidden, "k", 1), msg(forbidden, "k", 2), msg("good", 1), msg("good", 2)));
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      start(config("r1").bootstrapServers(guarded.bootstrapServers()).build(), registry);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 1);
      assertThat(
              text(
                  "SELECT error_class FROM waybill_outbox_dead_letter WHERE msg_key = 'k' AND"
                      + " parks_key AND attempts = 1 AND topic = '"
                      + forbidden
                      + "'"))
          .isEqualTo("org.apache.kafka.common.errors.TopicAuthorizationException");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> count("SELECT COUNT(*) FROM waybill_outbox WHERE msg_key = 'good'") == 0);
      assertThat(count("SELECT COUNT(*) FROM waybill_outbox WHERE msg_key = 'k'"))
          .as("the key's next message waits behind the dead letter")
          .isEqualTo(1);
      assertThat(counter(registry, "waybill.relay.dead.lettered")).isEqualTo(1);
      assertThat(counter(registry, "waybill.relay.retried")).as("permanent: no retry").isZero();
    }
  }
}
