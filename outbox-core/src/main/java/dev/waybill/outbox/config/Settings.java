package dev.waybill.outbox.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw setting values gathered from properties, the environment and explicit overrides; later
 * sources win ({@code file < environment < --set}). Typed values are read through a {@link Reader},
 * which collects every problem and reports them together. Immutable.
 */
public final class Settings {
  private static final Logger LOG = LoggerFactory.getLogger(Settings.class);

  /** The prefix of every environment variable Waybill reads. */
  public static final String ENV_PREFIX = "WAYBILL_";

  /**
   * The key families of all Waybill modules. A {@code WAYBILL_*} variable of a family another
   * process owns (e.g. {@code WAYBILL_INBOX_...} seen by the relay) is left alone.
   */
  public static final List<String> FAMILIES =
      List.of("db.", "outbox.", "relay.", "http.", "kafka.", "inbox.");

  /**
   * {@code WAYBILL_*} variables that are not settings and are never reported: the test and
   * benchmark engines' addresses ({@code WAYBILL_TEST_*}, {@code WAYBILL_BENCH_*}) and the jars'
   * log level ({@code WAYBILL_LOG_LEVEL}).
   */
  public static final List<String> RESERVED_VARIABLES =
      List.of("WAYBILL_TEST_", "WAYBILL_BENCH_", "WAYBILL_LOG_LEVEL");

  /** Largest edit distance at which a variable outside every family counts as a typo. */
  static final int TYPO_DISTANCE = 2;

  private final Map<String, String> values;
  private final Set<String> unusedVariables;

  private Settings(Map<String, String> values, Set<String> unusedVariables) {
    this.values = Map.copyOf(values);
    this.unusedVariables = Set.copyOf(unusedVariables);
  }

  /**
   * An empty builder.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Settings from a map of dotted keys to values.
   *
   * @param values dotted keys to raw values; copied
   * @return the immutable settings
   */
  public static Settings of(Map<String, String> values) {
    return builder().putAll(values).build();
  }

  /**
   * The raw value of a key, if given.
   *
   * @param key a dotted key
   * @return the value as given, untrimmed and unparsed, or empty
   */
  public java.util.Optional<String> raw(String key) {
    return java.util.Optional.ofNullable(values.get(key));
  }

  /**
   * Every key given.
   *
   * @return the given keys, in no particular order; unmodifiable
   */
  public Set<String> keys() {
    return new TreeSet<>(values.keySet());
  }

  /**
   * A reader that collects problems; call {@link Reader#finish()} after the last get.
   *
   * @return a new reader; not thread-safe, use it from one thread
   */
  public Reader reader() {
    return new Reader(this);
  }

  /**
   * Keys that start with one of {@code prefixes} but are not declared, e.g. typos such as {@code
   * db.ulr}. Keys outside the prefixes (pass-through families) are ignored.
   *
   * @param prefixes the key families the caller owns, e.g. {@code db.} and {@code relay.}
   * @param known the declared settings
   * @return the unknown keys; empty when there are none
   */
  public List<String> unknownKeys(Collection<String> prefixes, Collection<Setting<?>> known) {
    Set<String> knownKeys = new TreeSet<>();
    known.forEach(
        s -> {
          knownKeys.add(s.key());
          knownKeys.addAll(s.deprecatedAliases());
          if (s.isSecret()) {
            knownKeys.add(SecretFiles.fileKey(s.key()));
          }
        });
    List<String> out = new ArrayList<>();
    for (String k : keys()) {
      if (!knownKeys.contains(k) && prefixes.stream().anyMatch(k::startsWith)) {
        out.add(k);
      }
    }
    return out;
  }

  /**
   * The unknown keys of {@link #unknownKeys}, as problems that name the closest declared key: the
   * way every Waybill process reports a misspelt key of its own families.
   *
   * @param prefixes the key families the caller owns, e.g. {@code db.} and {@code relay.}
   * @param known the declared settings
   * @return one problem per unknown key; empty when there are none
   */
  public List<String> unknownKeyProblems(
      Collection<String> prefixes, Collection<Setting<?>> known) {
    List<String> problems = new ArrayList<>();
    for (String unknown : unknownKeys(prefixes, known)) {
      problems.add(unknownKeyProblem(unknown, "", closestKey(unknown, known)).text());
    }
    return problems;
  }

  /**
   * The one wording of an unknown key, for declared families and pass-through ones alike.
   *
   * @param key the key as given
   * @param owner empty, or who reads the family, e.g. {@code the Kafka producer}
   * @param suggestion the nearest known key, if any
   */
  static ConfigProblem unknownKeyProblem(String key, String owner, Optional<String> suggestion) {
    return new ConfigProblem(
        key,
        "(unknown)",
        "not a setting"
            + (owner.isEmpty() ? "" : " of " + owner)
            + suggestion.map(k -> "; did you mean " + k + "?").orElse("")
            + " (see docs/configuration.md)");
  }

  /**
   * A reader that starts with the one unknown-setting check every Waybill process makes: unknown
   * keys of the owned families ({@link #unknownKeyProblems}) and misspelt {@code WAYBILL_*}
   * variables ({@link #unknownVariables}) are its first problems.
   *
   * @param owned the key families the caller owns, e.g. {@code db.} and {@code relay.}
   * @param known every setting the caller declares
   * @return a new reader; not thread-safe, use it from one thread
   */
  public Reader reader(Collection<String> owned, Collection<Setting<?>> known) {
    Reader r = new Reader(this);
    unknownKeyProblems(owned, known).forEach(r::problem);
    unknownVariables(owned, known).forEach(r::problem);
    return r;
  }

  /**
   * The {@code WAYBILL_*} environment variables that were given but that name no setting and no
   * pass-through family the environment was read for, and are not reserved ({@link
   * #RESERVED_VARIABLES}). Names only: values may be secret.
   *
   * @return the variable names, sorted; unmodifiable
   */
  public Set<String> unusedVariables() {
    return new TreeSet<>(unusedVariables);
  }

  /**
   * The misspelt {@code WAYBILL_*} environment variables among {@link #unusedVariables()}, as
   * problems in the form {@code value → variable → reason}; logs a WARN for the other unused ones
   * that no Waybill process reads. The rules (docs/configuration.md):
   *
   * <ul>
   *   <li>an unused variable of an owned family (e.g. {@code WAYBILL_DB_URLL} when {@code db.} is
   *       owned) is a problem, like an unknown key of that family;
   *   <li>an unused variable of a family another process owns ({@link #FAMILIES}, e.g. {@code
   *       WAYBILL_INBOX_...} seen by the relay) is ignored;
   *   <li>any other unused variable is a problem when it is within {@value #TYPO_DISTANCE} edits of
   *       a declared variable ({@code WAYBILL_DBURL}), else it is logged at WARN and ignored.
   * </ul>
   *
   * <p>Each problem names the closest declared variable when there is one.
   *
   * @param prefixes the key families the caller owns, e.g. {@code db.} and {@code relay.}
   * @param known the declared settings
   * @return the problems; empty when there are none
   */
  public List<String> unknownVariables(Collection<String> prefixes, Collection<Setting<?>> known) {
    List<String> problems = new ArrayList<>();
    List<String> names = new ArrayList<>();
    known.forEach(
        s -> {
          names.add(s.environmentName());
          s.deprecatedAliases().forEach(a -> names.add(environmentName(a)));
        });
    for (String v : unusedVariables) {
      Optional<String> closest = closest(v, names);
      String hint = closest.map(c -> "; did you mean " + c + "?").orElse("");
      boolean owned = prefixes.stream().anyMatch(p -> v.startsWith(variablePrefix(p)));
      boolean otherFamily = FAMILIES.stream().anyMatch(p -> v.startsWith(variablePrefix(p)));
      boolean nearMiss = closest.isPresent() && distance(v, closest.get()) <= TYPO_DISTANCE;
      if (owned || (!otherFamily && nearMiss)) {
        problems.add(
            "(environment) → "
                + v
                + " → not the environment variable of a setting"
                + hint
                + " (see docs/configuration.md)");
      } else if (!otherFamily) {
        LOG.warn(
            "environment variable {} is not a Waybill setting and is ignored{}",
            v,
            hint.isEmpty() ? "" : hint);
      }
    }
    return problems;
  }

  /** {@code db.url} → {@code WAYBILL_DB_URL}. */
  static String environmentName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** {@code db.} → {@code WAYBILL_DB_}. */
  static String variablePrefix(String keyPrefix) {
    return ENV_PREFIX + keyPrefix.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /**
   * The declared key nearest to {@code key}, for a "did you mean" hint.
   *
   * @param key a key that is not declared, e.g. {@code inbox.retry.max.attempt}
   * @param known the declared settings
   * @return the declared key at most {@value #HINT_DISTANCE} edits away with the fewest edits, or
   *     empty
   */
  public static Optional<String> closestKey(String key, Collection<Setting<?>> known) {
    List<String> keys = new ArrayList<>();
    known.forEach(s -> keys.add(s.key()));
    return closest(key, keys);
  }

  /** Largest edit distance at which a declared name is suggested. */
  static final int HINT_DISTANCE = 3;

  /** The name nearest to {@code v}, when it is at most {@link #HINT_DISTANCE} edits away. */
  static Optional<String> closest(String v, Collection<String> names) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String n : names) {
      int d = distance(v, n);
      if (d < bestDistance) {
        best = n;
        bestDistance = d;
      }
    }
    return bestDistance <= HINT_DISTANCE ? Optional.ofNullable(best) : Optional.empty();
  }

  /** Optimal string alignment distance: insertions, deletions, substitutions, transpositions. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /** Shows keys only: values may be secret. */
  @Override
  public String toString() {
    return "Settings" + keys();
  }

  /** Collects raw values. Not thread-safe. */
  public static final class Builder {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Set<String> unusedVariables = new TreeSet<>();

    private Builder() {}

    /**
     * Adds every entry of a properties file (keys trimmed).
     *
     * @param properties the file's entries; non-string entries are ignored
     * @return this builder
     */
    public Builder properties(Properties properties) {
      properties
          .stringPropertyNames()
          .forEach(k -> values.put(k.trim(), properties.getProperty(k)));
      return this;
    }

    /**
     * Adds the environment variables that name one of {@code known} ({@link
     * Setting#environmentName()}), plus {@code WAYBILL_<PREFIX>_...} variables for pass-through
     * families like {@code kafka.}: those are turned into keys by lower-casing and replacing {@code
     * _} with {@code .}. The names of the other {@code WAYBILL_*} variables (except {@link
     * #RESERVED_VARIABLES}) are kept for {@link Settings#unknownVariables}.
     *
     * @param env the environment, e.g. {@code System.getenv()}
     * @param known the declared settings whose variables are looked for
     * @param passThrough key prefixes whose variables are all taken, e.g. {@code kafka.}
     * @return this builder
     */
    public Builder environment(
        Map<String, String> env, Collection<Setting<?>> known, Collection<String> passThrough) {
      Set<String> used = new TreeSet<>();
      for (Setting<?> s : known) {
        String v = env.get(s.environmentName());
        used.add(s.environmentName());
        if (v != null) {
          values.put(s.key(), v);
        }
        for (String alias : s.deprecatedAliases()) {
          String old = environmentName(alias);
          used.add(old);
          if (env.get(old) != null) {
            values.put(alias, env.get(old));
          }
        }
        if (s.isSecret()) {
          String fileVariable = s.environmentName() + "_FILE";
          used.add(fileVariable);
          if (env.get(fileVariable) != null) {
            values.put(SecretFiles.fileKey(s.key()), env.get(fileVariable));
          }
        }
      }
      for (String k : env.keySet()) {
        if (k.startsWith(ENV_PREFIX)
            && !used.contains(k)
            && passThrough.stream().noneMatch(p -> k.startsWith(variablePrefix(p)))
            && RESERVED_VARIABLES.stream().noneMatch(k::startsWith)) {
          unusedVariables.add(k);
        }
      }
      for (String prefix : passThrough) {
        String envPrefix = "WAYBILL_" + prefix.toUpperCase(java.util.Locale.ROOT).replace('.', '_');
        env.forEach(
            (k, v) -> {
              if (k.startsWith(envPrefix)) {
                values.putIfAbsent(
                    k.substring("WAYBILL_".length())
                        .toLowerCase(java.util.Locale.ROOT)
                        .replace('_', '.'),
                    v);
              }
            });
      }
      return this;
    }

    /**
     * Sets one value (a {@code --set key=value} flag).
     *
     * @param key a dotted key
     * @param value the raw value
     * @return this builder
     */
    public Builder put(String key, String value) {
      values.put(Objects.requireNonNull(key, "key").trim(), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Sets every entry.
     *
     * @param more dotted keys to raw values
     * @return this builder
     */
    public Builder putAll(Map<String, String> more) {
      more.forEach(this::put);
      return this;
    }

    /**
     * The immutable settings.
     *
     * @return the settings; later sources have replaced earlier values of the same key
     */
    public Settings build() {
      return new Settings(values, unusedVariables);
    }
  }

  /** Reads typed values and collects every problem. Not thread-safe. */
  public static final class Reader {
    private final Settings settings;
    private final List<String> problems = new ArrayList<>();

    private Reader(Settings settings) {
      this.settings = settings;
    }

    /**
     * The typed value of a setting: the given value, else its default. A missing required value or
     * an invalid value is recorded as a problem and {@code null} is returned; {@link #finish()}
     * then throws.
     *
     * @param <T> the setting's value type
     * @param setting the declaration to read
     * @return the value, or null when it is missing or invalid (recorded as a problem)
     */
    public <T> T get(Setting<T> setting) {
      String raw = settings.values.get(setting.key());
      for (String alias : setting.deprecatedAliases()) {
        String old = settings.values.get(alias);
        if (old != null) {
          setting.warnDeprecated(alias);
          if (raw == null) {
            raw = old;
          }
        }
      }
      String file =
          setting.isSecret() ? settings.values.get(SecretFiles.fileKey(setting.key())) : null;
      if (file != null) {
        if (raw != null) {
          problems.add(SecretFiles.bothGiven(setting.key()));
          return null;
        }
        raw = SecretFiles.read(SecretFiles.fileKey(setting.key()), file, problems).orElse(null);
        if (raw == null) {
          return null;
        }
      }
      if (raw == null) {
        if (setting.required()) {
          problems.add(
              "(missing) → "
                  + setting.key()
                  + " → required: set it in the config file, with --set "
                  + setting.key()
                  + "=... or as environment variable "
                  + setting.environmentName()
                  + (setting.isSecret()
                      ? " (or give the path of a file holding it as "
                          + SecretFiles.fileKey(setting.key())
                          + ")"
                      : ""));
          return null;
        }
        return setting.parse(setting.defaultText().orElseThrow());
      }
      try {
        return setting.parse(raw);
      } catch (IllegalArgumentException e) {
        String shown = setting.isSecret() ? "(secret)" : "'" + raw + "'";
        problems.add(shown + " → " + setting.key() + " → " + e.getMessage());
        return null;
      }
    }

    /**
     * Records a problem found by a cross-setting check.
     *
     * @param problem the full error text, in the form "value → key → what was expected"
     */
    public void problem(String problem) {
      problems.add(problem);
    }

    /**
     * Records a problem found by a check of a typed value ({@link Setting#problemWith}).
     *
     * @param problem the problem
     */
    public void problem(ConfigProblem problem) {
      problems.add(problem.text());
    }

    /**
     * The problems so far.
     *
     * @return the problems recorded so far, in order; unmodifiable
     */
    public List<String> problems() {
      return List.copyOf(problems);
    }

    /**
     * @throws ConfigException listing every problem, when there is any
     */
    public void finish() {
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
    }
  }
}
