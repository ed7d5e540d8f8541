package dev.waybill.relay.internal;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.TableNames;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shard ownership through lease rows. Each relay announces itself in the instance table, renews the
 * leases it holds, and takes or gives back shards so that every live relay holds its fair share
 * ({@code ceil(shards / live relays)}). A lease has an expiry (database time) and an epoch that
 * grows with each new owner (the fencing token).
 *
 * <p>A relay may publish for its shards only until {@link Ownership#validUntilNanos()}: the time
 * the last successful renewal started plus the lease time, minus the send timeout and a second. A
 * relay that cannot renew therefore stops sending early enough for its last sends to finish before
 * another relay can take the lease. Not thread-safe: driven by the relay's one loop thread. Not
 * API.
 */
public final class LeaseManager {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseManager.class);

  private final DataSource dataSource;
  private final Dialect dialect;
  private final String leases;
  private final String relays;
  private final String instance;
  private final int shardCount;
  private final Duration ttl;
  private final Duration sendTimeout;
  private final Listener listener;
  private volatile Ownership ownership = new Ownership(Set.of(), 0, false);
  private volatile boolean belowShare;
  private Set<Integer> owned = new TreeSet<>();

  /** Told about changes, for metrics and logs. */
  public interface Listener {
    /** Leases renewed (one call per successful tick). */
    void renewed(int owned);

    /** Shards taken. */
    void acquired(Set<Integer> shards);

    /** Shards given back voluntarily. */
    void released(Set<Integer> shards);

    /** Shards lost: expired or taken before this relay could renew. */
    void lost(Set<Integer> shards);
  }

  /**
   * @param dataSource database
   * @param dialect its dialect
   * @param tables table names
   * @param instance this relay's id
   * @param shardCount the shard count
   * @param ttl lease time
   * @param sendTimeout the longest a send may still take after it started: the delivery timeout
   *     plus the longest {@code send()} may block ({@link KafkaPublisher#maxBlock})
   * @param listener change listener
   */
  public LeaseManager(
      DataSource dataSource,
      Dialect dialect,
      TableNames tables,
      String instance,
      int shardCount,
      Duration ttl,
      Duration sendTimeout,
      Listener listener) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.leases = tables.leaseTable().sql();
    this.relays = tables.relayTable().sql();
    this.instance = instance;
    this.shardCount = shardCount;
    this.ttl = ttl;
    this.sendTimeout = sendTimeout;
    this.listener = listener;
  }

  /**
   * Creates the lease rows when the table is empty and checks that every relay agrees on the shard
   * count.
   *
   * @throws WaybillException when the table holds a different number of shards
   */
  public void initialize() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      if (count(c, "SELECT COUNT(*) FROM " + leases) == 0) {
        try (PreparedStatement st =
            c.prepareStatement(dialect.insertIgnoringDuplicatesSql(tableOf(leases), "shard"))) {
          for (int s = 0; s < shardCount; s++) {
            st.setInt(1, s);
            st.addBatch();
          }
          st.executeBatch();
        }
      }
      long rows = count(c, "SELECT COUNT(*) FROM " + leases);
      long inRange =
          count(
              c, "SELECT COUNT(*) FROM " + leases + " WHERE shard >= 0 AND shard < " + shardCount);
      if (rows != shardCount || inRange != shardCount) {
        throw new WaybillException(
            "relay "
                + instance
                + ": the lease table "
                + leases
                + " holds "
                + rows
                + " shards but relay.shards is "
                + shardCount
                + ". Every relay must use the same relay.shards; to change it, stop all relays"
                + " and empty the table (DELETE FROM "
                + leases
                + ").");
      }
    }
  }

  /**
   * Heartbeat, renew, then rebalance. Call only when no send is in flight (it may give shards
   * back).
   */
  public Ownership tick() throws SQLException {
    long start = System.nanoTime();
    Set<Integer> now;
    int live;
    try (Connection c = dataSource.getConnection()) {
      heartbeat(c);
      try (PreparedStatement st =
          c.prepareStatement(
              "UPDATE "
                  + leases
                  + " SET expires_at = "
                  + dialect.nowPlusMillisSql()
                  + ", renewed_at = "
                  + dialect.nowSql()
                  + " WHERE owner = ? AND expires_at > "
                  + dialect.nowSql())) {
        st.setLong(1, ttl.toMillis());
        st.setString(2, instance);
        st.executeUpdate();
      }
      now = ownedShards(c);
      Set<Integer> lost = new TreeSet<>(owned);
      lost.removeAll(now);
      if (!lost.isEmpty()) {
        LOG.warn(
            "relay {}: lost {} shard lease(s) {} (expired before renewal or taken over)",
            instance,
            lost.size(),
            lost);
        listener.lost(lost);
      }
      live =
          (int)
              Math.max(
                  1,
                  count(
                      c,
                      "SELECT COUNT(*) FROM "
                          + relays
                          + " WHERE expires_at > "
                          + dialect.nowSql()));
      int target = (shardCount + live - 1) / live;
      if (now.size() > target) {
        Set<Integer> extra = new TreeSet<>(Collections.reverseOrder());
        extra.addAll(now);
        Set<Integer> give = new TreeSet<>();
        for (int s : extra) {
          if (now.size() - give.size() <= target) {
            break;
          }
          give.add(s);
        }
        release(c, give);
        now.removeAll(give);
        LOG.info(
            "relay {}: gave back {} shard(s) {} to rebalance across {} relays",
            instance,
            give.size(),
            give,
            live);
        listener.released(give);
      } else if (now.size() < target) {
        Set<Integer> got = acquire(c, target - now.size());
        if (!got.isEmpty()) {
          now.addAll(got);
          LOG.info(
              "relay {}: took {} shard(s) {} (now {} of {}, {} live relays)",
              instance,
              got.size(),
              got,
              now.size(),
              shardCount,
              live);
          listener.acquired(got);
        }
      }
    }
    owned = now;
    // the smallest share a relay holds once the shards are balanced (64 over 3 relays: 22, 22, 20)
    int least = Math.max(0, shardCount - (live - 1) * ((shardCount + live - 1) / live));
    belowShare = now.size() < least;
    long validUntil = start + ttl.minus(sendTimeout).minusSeconds(1).toNanos();
    ownership = new Ownership(Set.copyOf(now), validUntil, now.size() == shardCount);
    listener.renewed(now.size());
    return ownership;
  }

  /**
   * Whether this relay held fewer shards than its share after the last {@link #tick()}: it has
   * joined (or the others have not given shards back yet), and should tick again soon, so shards
   * that another relay gives back do not wait a whole renewal interval for their new owner.
   *
   * @return true while this relay waits for shards
   */
  public boolean belowShare() {
    return belowShare;
  }

  /** The current ownership snapshot (thread-safe read). */
  public Ownership ownership() {
    return ownership;
  }

  /** Forgets ownership locally (after a failed renewal): publishing stops at once. */
  public void suspend() {
    Ownership o = ownership;
    ownership = new Ownership(o.shards(), Math.min(o.validUntilNanos(), System.nanoTime()), false);
  }

  /** Gives back every lease and leaves the instance table (graceful stop). */
  public void releaseAll() throws SQLException {
    ownership = new Ownership(Set.of(), 0, false);
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement st =
          c.prepareStatement(
              "UPDATE "
                  + leases
                  + " SET owner = NULL, expires_at = NULL, renewed_at = NULL WHERE owner = ?")) {
        st.setString(1, instance);
        st.executeUpdate();
      }
      try (PreparedStatement st =
          c.prepareStatement("DELETE FROM " + relays + " WHERE instance_id = ?")) {
        st.setString(1, instance);
        st.executeUpdate();
      }
    }
    if (!owned.isEmpty()) {
      LOG.info("relay {}: released {} shard lease(s) on stop", instance, owned.size());
      listener.released(owned);
    }
    owned = new TreeSet<>();
  }

  /** Every lease row, for status. */
  public static List<LeaseRow> leases(DataSource ds, Dialect dialect, TableNames tables)
      throws SQLException {
    List<LeaseRow> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT shard, owner, epoch, expires_at, "
                    + "CASE WHEN expires_at > "
                    + dialect.nowSql()
                    + " THEN 1 ELSE 0 END AS live FROM "
                    + tables.leaseTable().sql()
                    + " ORDER BY shard")) {
      while (rs.next()) {
        out.add(
            new LeaseRow(
                rs.getInt("shard"),
                rs.getString("owner"),
                rs.getLong("epoch"),
                dialect.getInstant(rs, "expires_at").orElse(null),
                rs.getInt("live") == 1));
      }
    }
    return out;
  }

  private void heartbeat(Connection c) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "UPDATE "
                + relays
                + " SET expires_at = "
                + dialect.nowPlusMillisSql()
                + " WHERE instance_id = ?")) {
      st.setLong(1, ttl.toMillis());
      st.setString(2, instance);
      if (st.executeUpdate() == 1) {
        return;
      }
    }
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO "
                + relays
                + " (instance_id, host, started_at, expires_at) VALUES (?, ?, "
                + dialect.nowSql()
                + ", "
                + dialect.nowPlusMillisSql()
                + ")")) {
      st.setString(1, instance);
      st.setString(2, hostName());
      st.setLong(3, ttl.toMillis());
      st.executeUpdate();
    }
    try (PreparedStatement st =
        c.prepareStatement("DELETE FROM " + relays + " WHERE expires_at < " + dialect.nowSql())) {
      st.executeUpdate();
    }
  }

  private Set<Integer> ownedShards(Connection c) throws SQLException {
    Set<Integer> out = new TreeSet<>();
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT shard FROM "
                + leases
                + " WHERE owner = ? AND expires_at > "
                + dialect.nowSql())) {
      st.setString(1, instance);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getInt(1));
        }
      }
    }
    return out;
  }

  private Set<Integer> acquire(Connection c, int wanted) throws SQLException {
    List<Integer> free = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT shard FROM "
                    + leases
                    + " WHERE owner IS NULL OR expires_at IS NULL OR expires_at <= "
                    + dialect.nowSql())) {
      while (rs.next()) {
        free.add(rs.getInt(1));
      }
    }
    Collections.shuffle(free); // relays starting together rarely race for the same rows
    Set<Integer> got = new TreeSet<>();
    try (PreparedStatement st =
        c.prepareStatement(
            "UPDATE "
                + leases
                + " SET owner = ?, epoch = epoch + 1, expires_at = "
                + dialect.nowPlusMillisSql()
                + ", renewed_at = "
                + dialect.nowSql()
                + " WHERE shard = ? AND (owner IS NULL OR expires_at IS NULL OR expires_at <= "
                + dialect.nowSql()
                + ")")) {
      for (int shard : free) {
        if (got.size() >= wanted) {
          break;
        }
        st.setString(1, instance);
        st.setLong(2, ttl.toMillis());
        st.setInt(3, shard);
        if (st.executeUpdate() == 1) {
          got.add(shard);
        }
      }
    }
    return got;
  }

  private void release(Connection c, Set<Integer> shards) throws SQLException {
    if (shards.isEmpty()) {
      return;
    }
    try (PreparedStatement st =
        c.prepareStatement(
            "UPDATE "
                + leases
                + " SET owner = NULL, expires_at = NULL, renewed_at = NULL WHERE owner = ? AND"
                + " shard IN "
                + OutboxStore.numbers(shards))) {
      st.setString(1, instance);
      st.executeUpdate();
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static dev.waybill.outbox.jdbc.SqlIdentifier tableOf(String qualified) {
    return dev.waybill.outbox.jdbc.SqlIdentifier.parse("lease table", qualified);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "unknown";
    }
  }

  /**
   * What this relay may publish.
   *
   * @param shards owned shards
   * @param validUntilNanos {@link System#nanoTime()} after which nothing may be sent
   * @param all whether every shard is owned (the claim needs no shard filter)
   */
  public record Ownership(Set<Integer> shards, long validUntilNanos, boolean all) {
    /** Whether sending is allowed now. */
    public boolean canPublish() {
      return !shards.isEmpty() && System.nanoTime() < validUntilNanos;
    }
  }

  /**
   * One lease row.
   *
   * @param shard shard
   * @param owner owning relay, or null
   * @param epoch fencing token
   * @param expiresAt expiry, or null
   * @param live whether the lease is unexpired
   */
  public record LeaseRow(int shard, String owner, long epoch, Instant expiresAt, boolean live) {}
}
