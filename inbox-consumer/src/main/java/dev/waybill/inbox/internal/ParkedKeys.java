package dev.waybill.inbox.internal;

import dev.waybill.inbox.internal.InboxStore.ParkedKey;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Ordered mode's parked keys, cached from the database (the source of truth, written first). A
 * reload (on assignment) never resurrects a key that a worker unparked while the reload read the
 * table: changes bump a version under the same lock as the reload's swap. Thread-safe. Not API.
 */
public final class ParkedKeys {
  private final InboxStore store;
  private final DataSource dataSource;
  private final String consumer;
  private final Map<String, ParkedKey> keys = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private long version;

  /**
   * @param store the SQL
   * @param dataSource the database
   * @param consumer the consumer group
   */
  public ParkedKeys(InboxStore store, DataSource dataSource, String consumer) {
    this.store = store;
    this.dataSource = dataSource;
    this.consumer = consumer;
  }

  /** Reads every parked key of the consumer from the database. */
  public void reload() throws SQLException {
    for (int i = 0; i < 5; i++) {
      long before;
      synchronized (lock) {
        before = version;
      }
      Map<String, ParkedKey> fresh = new HashMap<>();
      for (ParkedKey p : store.parked(dataSource, consumer)) {
        fresh.put(id(p.topic(), p.keyHash()), p);
      }
      synchronized (lock) {
        if (version == before) {
          keys.clear();
          keys.putAll(fresh);
          return;
        }
      }
    }
  }

  /** The parked entry of a key. */
  public Optional<ParkedKey> get(String topic, String keyHash) {
    return Optional.ofNullable(keys.get(id(topic, keyHash)));
  }

  /** Records a key parked in the database. */
  public void parked(ParkedKey p) {
    synchronized (lock) {
      keys.putIfAbsent(id(p.topic(), p.keyHash()), p);
      version++;
    }
  }

  /** Records a key unparked in the database. */
  public void unparked(String topic, String keyHash) {
    synchronized (lock) {
      keys.remove(id(topic, keyHash));
      version++;
    }
  }

  /** How many keys are parked. */
  public int size() {
    return keys.size();
  }

  /** A snapshot: {@code topic/key → message id}. */
  public Map<String, String> snapshot() {
    Map<String, String> out = new HashMap<>();
    keys.values().forEach(p -> out.put(p.topic() + "/" + p.key(), p.messageId()));
    return out;
  }

  private static String id(String topic, String keyHash) {
    return topic + "/" + keyHash;
  }
}
