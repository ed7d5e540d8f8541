package dev.waybill.outbox.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Raw setting values gathered from properties, the environment and explicit overrides; later
 * sources win ({@code file < environment < --set}). Typed values are read through a {@link Reader},
 * which collects every problem and reports them together. Immutable.
 */
public final class Settings {
  private final Map<String, String> values;

  private Settings(Map<String, String> values) {
    this.values = Map.copyOf(values);
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
    known.forEach(s -> knownKeys.add(s.key()));
    List<String> out = new ArrayList<>();
    for (String k : keys()) {
      if (!knownKeys.contains(k) && prefixes.stream().anyMatch(k::startsWith)) {
        out.add(k);
      }
    }
    return out;
  }

  /** Shows keys only: values may be secret. */
  @Override
  public String toString() {
    return "Settings" + keys();
  }

  /** Collects raw values. Not thread-safe. */
  public static final class Builder {
    private final Map<String, String> values = new LinkedHashMap<>();

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
     * _} with {@code .}.
     *
     * @param env the environment, e.g. {@code System.getenv()}
     * @param known the declared settings whose variables are looked for
     * @param passThrough key prefixes whose variables are all taken, e.g. {@code kafka.}
     * @return this builder
     */
    public Builder environment(
        Map<String, String> env, Collection<Setting<?>> known, Collection<String> passThrough) {
      for (Setting<?> s : known) {
        String v = env.get(s.environmentName());
        if (v != null) {
          values.put(s.key(), v);
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
      return new Settings(values);
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
      if (raw == null) {
        if (setting.required()) {
          problems.add(
              "(missing) → "
                  + setting.key()
                  + " → required: set it in the config file, with --set "
                  + setting.key()
                  + "=... or as environment variable "
                  + setting.environmentName());
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
