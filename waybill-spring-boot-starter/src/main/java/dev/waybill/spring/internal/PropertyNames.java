package dev.waybill.spring.internal;

import dev.waybill.outbox.config.Setting;
import java.util.Collection;
import java.util.Optional;

/**
 * The one mapping from a Waybill setting key to its Spring property name: {@code waybill.}, then
 * the key's first segment, then the remaining segments joined with dashes ({@code relay.batch.size}
 * is {@code waybill.relay.batch-size}, {@code outbox.write.mode} is {@code
 * waybill.outbox.write-mode}). {@code kafka.*} keys are Kafka's own and pass through unchanged
 * ({@code kafka.security.protocol} is {@code waybill.kafka.security.protocol}). Spring's relaxed
 * binding then accepts the usual variants ({@code waybill.relay.batchSize}, {@code
 * WAYBILL_RELAY_BATCHSIZE}); the dotted key itself ({@code waybill.relay.batch.size}, and so {@code
 * WAYBILL_RELAY_BATCH_SIZE}) is accepted as an alias. Not API.
 */
public final class PropertyNames {
  /** The prefix of every property of the starter. */
  public static final String PREFIX = "waybill.";

  /** The pass-through family of Kafka client settings. */
  public static final String KAFKA = "kafka.";

  private PropertyNames() {}

  /**
   * The Spring property name of a setting key.
   *
   * @param key a dotted Waybill key, e.g. {@code relay.batch.size}
   * @return e.g. {@code waybill.relay.batch-size}
   */
  public static String springName(String key) {
    if (key.startsWith(KAFKA)) {
      return PREFIX + key;
    }
    int dot = key.indexOf('.');
    return PREFIX + key.substring(0, dot) + "." + key.substring(dot + 1).replace('.', '-');
  }

  /**
   * The alias of a setting key: the key itself under {@code waybill.}.
   *
   * @param key a dotted Waybill key
   * @return e.g. {@code waybill.relay.batch.size}
   */
  public static String alias(String key) {
    return PREFIX + key;
  }

  /**
   * The Spring property name for a key named in an error, when it is one of {@code known} or a
   * {@code kafka.*} key.
   *
   * @param key the key as an error names it
   * @param known the declared settings
   * @return the Spring property name, or empty for a name that is no setting key
   */
  public static Optional<String> springNameOf(String key, Collection<Setting<?>> known) {
    if (key.startsWith(KAFKA)) {
      return Optional.of(springName(key));
    }
    return known.stream().filter(s -> s.key().equals(key)).findFirst().map(s -> springName(key));
  }
}
