package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.relay.cli.RelayMain;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay contract on PostgreSQL with the outbox table split into 4 partitions (the contract's
 * relays use 8 shards, so each partition holds 2), plus what the partitions change: a relay reads
 * only the partitions of its shards, shards are handed over a partition at a time, and the shard
 * count must be a multiple of the partitions.
 */
class PartitionedPostgresRelayIT extends RelayContract {
  static final int PARTITIONS = 4;

  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  Dialect dialect() {
    return Dialect.postgres();
  }

  /** Through the sidecar's own command, as an operator would do it. */
  @BeforeEach
  void partitionTheOutbox() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RelayMain.execute(
            new PrintWriter(out),
            new PrintWriter(err),
            "migrate",
            "--partitions",
            Integer.toString(PARTITIONS),
            "--set",
            "db.url=" + db.jdbcUrl(),
            "--set",
            "db.user=" + db.user(),
            "--set",
            "db.password=" + db.password());
    assertThat(exit).as("migrate --partitions exit code; stderr: %s", err).isZero();
    assertThat(out.toString())
        .contains("outbox table split into " + PARTITIONS + " partitions (was a plain table)");
  }

  @Test
  void aJoiningRelayIsHandedWholePartitions() {
    Relay r1 = start(config("r1").build());
    await().atMost(Duration.ofSeconds(20)).until(() -> r1.status().ownedShards().size() == 8);
    Relay r2 = start(config("r2").build());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> r1.status().ownedShards().size() == 4 && r2.status().ownedShards().size() == 4);
    Set<Integer> first = partitionsOf(r1.status().ownedShards());
    Set<Integer> second = partitionsOf(r2.status().ownedShards());
    assertThat(first).as("r1's partitions (shards %s)", r1.status().ownedShards()).hasSize(2);
    assertThat(second).as("r2's partitions (shards %s)", r2.status().ownedShards()).hasSize(2);
    assertThat(first).doesNotContainAnyElementsOf(second);
  }

  @Test
  void aRelayReadsAndDeletesOnlyInThePartitionsOfItsShards() throws Exception {
    Relay r1 = start(config("r1").build());
    await().atMost(Duration.ofSeconds(20)).until(() -> r1.status().ownedShards().size() == 8);
    Relay r2 = start(config("r2").build());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> r1.status().ownedShards().size() == 4 && r2.status().ownedShards().size() == 4);
    Set<Integer> mine = partitionsOf(r1.status().ownedShards());
    Set<Integer> theirs = partitionsOf(r2.status().ownedShards());
    List<String> myKeys = keysIn(mine, 6);
    List<String> theirKeys = keysIn(theirs, 6);
    try (Connection locker = db.connect()) {
      // r2's partitions are locked: any statement that opens them waits, so r1 can only go on if
      // PostgreSQL leaves them out of its claims and its DELETEs
      locker.setAutoCommit(false);
      try (Statement st = locker.createStatement()) {
        for (int p : theirs) {
          st.execute("LOCK TABLE waybill_outbox_p" + p + " IN ACCESS EXCLUSIVE MODE");
        }
      }
      List<OutboxMessage> ms = new ArrayList<>();
      for (String k : myKeys) {
        ms.add(msg(k, 1));
        ms.add(msg(k, 2));
      }
      write(ms);
      await()
          .atMost(Duration.ofSeconds(10))
          .alias("r1 publishes and deletes its rows while the partitions of r2 are locked")
          .until(() -> r1.status().published() == ms.size() && rowsIn(mine) == 0);
      locker.rollback();
    }
    List<OutboxMessage> later = new ArrayList<>();
    for (String k : theirKeys) {
      later.add(msg(k, 1));
    }
    write(later);
    List<Published.Rec> recs =
        Published.read(topic, myKeys.size() * 2 + theirKeys.size(), Duration.ofSeconds(30));
    assertThat(recs).hasSize(myKeys.size() * 2 + theirKeys.size());
    assertThat(r2.status().published()).isEqualTo(theirKeys.size());
  }

  @Test
  void aShardCountThatIsNotAMultipleOfThePartitionsIsRefusedAtStart() {
    assertThatThrownBy(() -> start(config("r1").shards(6).build()))
        .isInstanceOf(WaybillException.class)
        .hasMessageContaining(
            "relay.shards = 6 is not a multiple of the outbox table's 4 partitions")
        .hasMessageContaining("multiple of 4");
  }

  private static Set<Integer> partitionsOf(Set<Integer> shards) {
    return shards.stream().map(s -> s % PARTITIONS).collect(Collectors.toCollection(TreeSet::new));
  }

  /** {@code count} keys whose rows land in the given partitions, as PostgreSQL routes them. */
  private List<String> keysIn(Set<Integer> partitions, int count) throws SQLException {
    List<String> keys = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement st = c.prepareStatement("SELECT (hashtext(?) & 1023) % " + PARTITIONS)) {
      for (int i = 0; keys.size() < count; i++) {
        String k = "k-" + i;
        st.setString(1, k);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          if (partitions.contains(rs.getInt(1))) {
            keys.add(k);
          }
        }
      }
    }
    return keys;
  }

  private long rowsIn(Set<Integer> partitions) throws SQLException {
    long n = 0;
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      for (int p : partitions) {
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM waybill_outbox_p" + p)) {
          rs.next();
          n += rs.getLong(1);
        }
      }
    }
    return n;
  }
}
