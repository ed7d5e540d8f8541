package dev.waybill.outbox.config;

import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One setting, declared once with its dotted key, type, default, validation and documentation. The
 * same key is used in properties files, {@code --set key=value} flags and environment variables
 * ({@link #environmentName()}: {@code db.url} is {@code WAYBILL_DB_URL}). The docs' configuration
 * tables are generated from these declarations. Immutable.
 *
 * @param <T> the value type
 */
public final class Setting<T> {
  private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z][a-z0-9-]*)+");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
  private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(|B|kB|KB|MB|GB)");

  /** The value {@link #byteSizeOrAuto} parses {@code auto} to. */
  public static final long AUTO = 0;

  private final String key;
  private final String type;
  private final String defaultText;
  private final String doc;
  private final boolean secret;
  private final Function<String, T> parser;

  private Setting(
      String key,
      String type,
      String defaultText,
      String doc,
      boolean secret,
      Function<String, T> parser) {
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("setting key '" + key + "' must be dotted lower case");
    }
    this.key = key;
    this.type = type;
    this.defaultText = defaultText;
    this.doc = Objects.requireNonNull(doc, "doc");
    this.secret = secret;
    this.parser = parser;
  }

  /**
   * A text setting; {@code defaultValue} null makes it required.
   *
   * @param key the dotted key, e.g. {@code db.url}; lower case letters, digits, dots and dashes
   * @param defaultValue the value when none is given, or null to make the setting required
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<String> string(String key, String defaultValue, String doc) {
    return new Setting<>(
        key,
        "string",
        defaultValue,
        doc,
        false,
        s -> {
          if (s.isBlank()) {
            throw new IllegalArgumentException("must not be blank");
          }
          return s;
        });
  }

  /**
   * A text setting that may be empty (empty means "not set").
   *
   * @param key the dotted key
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<String> optionalString(String key, String doc) {
    return new Setting<>(key, "string", "", doc, false, String::trim);
  }

  /**
   * A text setting whose value never appears in logs, errors or {@code toString()}. It may instead
   * be read from a file: {@code KEY.file} (environment {@code WAYBILL_KEY_FILE}) names the file
   * ({@link SecretFiles}).
   *
   * @param key the dotted key
   * @param defaultValue the value when none is given, or null to make the setting required
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<String> secret(String key, String defaultValue, String doc) {
    return new Setting<>(key, "secret", defaultValue, doc, true, s -> s);
  }

  /**
   * An integer in {@code [min, max]}.
   *
   * @param key the dotted key
   * @param defaultValue the value when none is given
   * @param min the smallest accepted value
   * @param max the largest accepted value
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<Integer> integer(
      String key, Integer defaultValue, int min, int max, String doc) {
    return new Setting<>(
        key,
        "int " + min + ".." + max,
        defaultValue == null ? null : defaultValue.toString(),
        doc,
        false,
        s -> {
          int v;
          try {
            v = Integer.parseInt(s.trim().replace("_", ""));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a whole number");
          }
          if (v < min || v > max) {
            throw new IllegalArgumentException("expected a number from " + min + " to " + max);
          }
          return v;
        });
  }

  /**
   * {@code true} or {@code false}.
   *
   * @param key the dotted key
   * @param defaultValue the value when none is given
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<Boolean> bool(String key, boolean defaultValue, String doc) {
    return new Setting<>(
        key,
        "boolean",
        Boolean.toString(defaultValue),
        doc,
        false,
        s -> {
          String v = s.trim().toLowerCase(Locale.ROOT);
          if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("expected true or false");
          }
          return Boolean.valueOf(v);
        });
  }

  /**
   * A duration written {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h} or ISO-8601 ({@code
   * PT30S}), in {@code [min, max]}.
   *
   * @param key the dotted key
   * @param defaultValue the value when none is given, written like a value (e.g. {@code 30s}), or
   *     null to make the setting required
   * @param min the shortest accepted duration
   * @param max the longest accepted duration
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<Duration> duration(
      String key, String defaultValue, Duration min, Duration max, String doc) {
    return new Setting<>(
        key,
        "duration",
        defaultValue,
        doc,
        false,
        s -> {
          Duration d = parseDuration(s.trim());
          if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(
                "expected a duration from " + format(min) + " to " + format(max));
          }
          return d;
        });
  }

  /**
   * A size in bytes, written as a whole number of bytes or with a unit ({@code 900kB}, {@code
   * 32MB}, {@code 1GB}; 1024-based), in {@code [min, max]}; or {@code auto} (the default), parsed
   * to {@link #AUTO}, for a value the component derives at run time (and documents in {@code doc}).
   *
   * @param key the dotted key
   * @param min the smallest accepted size in bytes, at least 1
   * @param max the largest accepted size in bytes
   * @param doc what the setting does and what {@code auto} means, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<Long> byteSizeOrAuto(String key, long min, long max, String doc) {
    if (min < 1 || max < min) {
      throw new IllegalArgumentException("a size setting needs 1 <= min <= max");
    }
    return new Setting<>(
        key,
        "size " + formatSize(min) + ".." + formatSize(max) + " or auto",
        "auto",
        doc,
        false,
        s -> {
          String v = s.trim();
          if (v.equalsIgnoreCase("auto")) {
            return AUTO;
          }
          long bytes = parseSize(v);
          if (bytes < min || bytes > max) {
            throw new IllegalArgumentException(
                "expected a size from " + formatSize(min) + " to " + formatSize(max) + " or auto");
          }
          return bytes;
        });
  }

  /**
   * An SQL identifier, optionally schema-qualified, validated by {@link SqlIdentifier}.
   *
   * @param key the dotted key
   * @param defaultValue the identifier when none is given, or null to make the setting required
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<SqlIdentifier> identifier(String key, String defaultValue, String doc) {
    return new Setting<>(
        key,
        "identifier",
        defaultValue,
        doc,
        false,
        s -> {
          try {
            return SqlIdentifier.parse(key, s.trim());
          } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                "expected a name of letters, digits and underscores (optionally schema.name)"
                    + " that is not a reserved word");
          }
        });
  }

  /**
   * The setting's row in the documentation's configuration tables (key, environment variable, type,
   * default, meaning), so docs/configuration.md can be checked against the declarations.
   *
   * @return one Markdown table row, without a trailing line break
   */
  public String markdownRow() {
    return "| `"
        + key
        + "` | `"
        + environmentName()
        + "` | "
        + type
        + " | "
        + (defaultText == null
            ? "**required**"
            : defaultText.isEmpty() ? "(empty)" : "`" + defaultText + "`")
        + " | "
        + doc
        + " |";
  }

  /**
   * The dotted key, e.g. {@code db.url}.
   *
   * @return the key as written in properties files and {@code --set} flags
   */
  public String key() {
    return key;
  }

  /**
   * The environment variable form: {@code WAYBILL_} + key in upper case, dots and dashes as _.
   *
   * @return the name of the environment variable that sets this key
   */
  public String environmentName() {
    return "WAYBILL_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /**
   * A short type description for docs, e.g. {@code int 1..10000}.
   *
   * @return the type and its bounds, for humans
   */
  public String type() {
    return type;
  }

  /**
   * The default as written in a properties file; empty when the setting is required.
   *
   * @return the default's text, or empty for a required setting
   */
  public Optional<String> defaultText() {
    return Optional.ofNullable(defaultText);
  }

  /**
   * Whether a value must be given.
   *
   * @return true when the setting has no default
   */
  public boolean required() {
    return defaultText == null;
  }

  /**
   * What the setting does, one or two sentences.
   *
   * @return the documentation text
   */
  public String doc() {
    return doc;
  }

  /**
   * Whether the value is secret (masked everywhere).
   *
   * @return true when the value must be masked
   */
  public boolean isSecret() {
    return secret;
  }

  /**
   * Parses a raw value.
   *
   * @param raw the value as written in a file, flag or environment variable, already trimmed
   * @return the parsed value, within the declared bounds
   * @throws IllegalArgumentException with the reason (not naming the key or value)
   */
  public T parse(String raw) {
    return parser.apply(raw);
  }

  static Duration parseDuration(String s) {
    var m = DURATION.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("expected a duration such as 500ms, 30s, 5m or PT30S");
    }
  }

  static long parseSize(String s) {
    var m = SIZE.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a size such as 8388608, 900kB, 32MB or auto");
    }
    long n = Long.parseLong(m.group(1));
    long unit =
        switch (m.group(2)) {
          case "kB", "KB" -> 1024L;
          case "MB" -> 1024L * 1024;
          case "GB" -> 1024L * 1024 * 1024;
          default -> 1L;
        };
    if (n > Long.MAX_VALUE / unit) {
      throw new IllegalArgumentException("expected a size such as 8388608, 900kB, 32MB or auto");
    }
    return n * unit;
  }

  /**
   * A size for people: whole GB, MB or kB when it divides evenly, else bytes.
   *
   * @param bytes the size
   * @return e.g. {@code 32MB}, {@code 900kB} or {@code 1000}
   */
  public static String formatSize(long bytes) {
    long g = 1024L * 1024 * 1024;
    long m = 1024L * 1024;
    if (bytes >= g && bytes % g == 0) {
      return bytes / g + "GB";
    }
    if (bytes >= m && bytes % m == 0) {
      return bytes / m + "MB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
      return bytes / 1024 + "kB";
    }
    return Long.toString(bytes);
  }

  static String format(Duration d) {
    if (d.toMillis() % 1000 != 0) {
      return d.toMillis() + "ms";
    }
    return d.toSeconds() + "s";
  }

  @Override
  public String toString() {
    return key
        + " ("
        + type
        + (defaultText == null ? ", required" : ", default " + defaultText)
        + ")";
  }
}
