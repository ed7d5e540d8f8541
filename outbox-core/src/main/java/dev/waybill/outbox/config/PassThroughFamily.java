package dev.waybill.outbox.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The keys of a pass-through family: settings that another library declares (the Kafka clients'
 * {@code kafka.*}), handed to it without their prefix. Waybill does not parse their values; it
 * knows only their names and which of them are secret, as the library declares them, and uses that
 * to
 *
 * <ul>
 *   <li>refuse a key the library does not know, naming the closest known key ({@code
 *       kafka.security.protocl}: "did you mean kafka.security.protocol?");
 *   <li>read {@code KEY.file=PATH} as the content of the file ({@link SecretFiles}), for every key
 *       the library does not itself declare with a {@code .file} ending;
 *   <li>mask, wherever settings are shown, every value the library declares secret and every value
 *       of a key it does not know (a misplaced password is still a password).
 * </ul>
 *
 * <p>outbox-core never links the library: each module builds the family from the library's own
 * declarations (for Kafka, the clients' {@code ConfigDef}s) and passes the sets here. Immutable.
 *
 * @param prefix the family's key prefix as written in settings, e.g. {@code kafka.}; empty for a
 *     file of the library's own keys (the DLQ tool's {@code --command-config})
 * @param clients who declares the keys, for problem texts, e.g. {@code the Kafka producer}
 * @param known every key the library accepts, without the prefix
 * @param knownPrefixes key prefixes under which the library accepts any key (e.g. Kafka's {@code
 *     config.providers.}), without the family prefix
 * @param secret the keys whose values the library declares secret, without the prefix
 */
public record PassThroughFamily(
    String prefix,
    String clients,
    Set<String> known,
    Set<String> knownPrefixes,
    Set<String> secret) {

  /**
   * Key prefixes under which the Kafka clients take any key: config providers ({@code
   * config.providers.NAME.class}, {@code config.providers.NAME.param.P}) and metrics context labels
   * ({@code metrics.context.LABEL}).
   */
  public static final Set<String> KAFKA_DYNAMIC_PREFIXES =
      Set.of("config.providers.", "metrics.context.");

  /**
   * @param prefix the family's key prefix, e.g. {@code kafka.}, or empty
   * @param clients who declares the keys, for problem texts
   * @param known every accepted key; copied
   * @param knownPrefixes prefixes under which any key is accepted; copied
   * @param secret the secret keys; copied
   */
  public PassThroughFamily {
    known = Set.copyOf(known);
    knownPrefixes = Set.copyOf(knownPrefixes);
    secret = Set.copyOf(secret);
  }

  /**
   * The {@code kafka.*} family of a module, from its Kafka clients' declarations.
   *
   * @param clients the clients whose settings these are, e.g. {@code the Kafka producer or admin
   *     client}
   * @param secretByKey every key the clients declare, mapped to whether its type is {@code
   *     PASSWORD}
   * @return the family with prefix {@code kafka.} and {@link #KAFKA_DYNAMIC_PREFIXES}
   */
  public static PassThroughFamily kafka(String clients, Map<String, Boolean> secretByKey) {
    return new PassThroughFamily(
        "kafka.", clients, secretByKey.keySet(), KAFKA_DYNAMIC_PREFIXES, secrets(secretByKey));
  }

  /**
   * The same keys under another prefix, e.g. as the unprefixed keys of a Kafka client properties
   * file.
   *
   * @param newPrefix the prefix, or empty
   * @return a copy with that prefix
   */
  public PassThroughFamily withPrefix(String newPrefix) {
    return new PassThroughFamily(newPrefix, clients, known, knownPrefixes, secret);
  }

  private static Set<String> secrets(Map<String, Boolean> secretByKey) {
    Set<String> out = new TreeSet<>();
    secretByKey.forEach(
        (k, s) -> {
          if (s) {
            out.add(k);
          }
        });
    return out;
  }

  /**
   * Whether the library accepts a key.
   *
   * @param key a key without the family prefix
   * @return true when declared, or under one of {@link #knownPrefixes()}
   */
  public boolean knows(String key) {
    return known.contains(key) || knownPrefixes.stream().anyMatch(key::startsWith);
  }

  /**
   * Whether a value must never be shown: the library declares it secret, or does not know the key.
   *
   * @param key a key without the family prefix
   * @return true when the value must be masked
   */
  public boolean isSecret(String key) {
    return secret.contains(key) || !knows(key);
  }

  /**
   * The values with every secret one ({@link #isSecret}) replaced by {@code ***}, for logs, status
   * and errors.
   *
   * @param values keys without the prefix to values
   * @return a copy in the same order; unmodifiable
   */
  public Map<String, String> masked(Map<String, ?> values) {
    Map<String, String> shown = new LinkedHashMap<>();
    values.forEach((k, v) -> shown.put(k, isSecret(k) ? "***" : String.valueOf(v)));
    return Collections.unmodifiableMap(shown);
  }

  /**
   * The family's values in raw settings, file variants read ({@link #resolve}).
   *
   * @param settings the process's raw settings
   * @param problems where every unknown key, unreadable file or doubly given key is recorded
   * @return the family's keys without the prefix, sorted, to their values
   */
  public Map<String, String> read(Settings settings, List<String> problems) {
    Map<String, String> given = new TreeMap<>();
    for (String k : settings.keys()) {
      if (k.startsWith(prefix)) {
        given.put(k.substring(prefix.length()), settings.raw(k).orElseThrow());
      }
    }
    return resolve(given, s -> s, problems);
  }

  /**
   * Reads file variants and checks every key. A key {@code K.file} that the library does not
   * declare itself stands for {@code K} with the content of the file its value names. Every key the
   * library does not know (a file variant's {@code K} included) is a problem naming the closest
   * known key.
   *
   * @param <V> the value type: {@code String}, or {@code Object} for client properties maps
   * @param values keys without the prefix to values; a file variant's value is its path (a {@code
   *     String})
   * @param fromFile turns a file's content into a value
   * @param problems where the problems are recorded, each as "value → key → reason"
   * @return the values with file variants replaced, in the given order
   */
  public <V> Map<String, V> resolve(
      Map<String, ? extends V> values, Function<String, V> fromFile, List<String> problems) {
    Map<String, V> out = new LinkedHashMap<>();
    values.forEach(
        (k, v) -> {
          boolean file = k.endsWith(SecretFiles.SUFFIX) && !knows(k) && v instanceof String;
          String key = file ? k.substring(0, k.length() - SecretFiles.SUFFIX.length()) : k;
          if (!knows(key)) {
            problems.add(
                Settings.unknownKeyProblem(
                        prefix + k,
                        clients,
                        Settings.closest(key, known)
                            .map(c -> prefix + (file ? SecretFiles.fileKey(c) : c)))
                    .text());
          } else if (!file) {
            out.put(k, v);
          } else if (values.containsKey(key)) {
            problems.add(SecretFiles.bothGiven(prefix + key));
          } else {
            SecretFiles.read(prefix + k, (String) v, problems)
                .ifPresent(c -> out.put(key, fromFile.apply(c)));
          }
        });
    return out;
  }
}
