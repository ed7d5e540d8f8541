package dev.waybill.outbox.config;

import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One setting, declared once with its dotted key, type, default, validation and documentation. The
 * same key is used in properties files, {@code --set key=value} flags and environment variables
 * ({@link #environmentName()}: {@code db.url} is {@code WAYBILL_DB_URL}). The docs' configuration
 * tables are generated from these declarations ({@link #markdownRow()}). Immutable.
 *
 * <p>Every path that sets a value validates it here: {@link #parse(String)} for text (properties,
 * environment, {@code --set}, Spring binding) and {@link #check(Object)} or {@link
 * #problemWith(Object)} for typed values (builders, record constructors). Both refuse the same
 * values with the same reason, and a builder's default is {@link #defaultValue()}, never a second
 * literal.
 *
 * <p>What a tool that binds or describes settings (Spring Boot metadata, a generated table) can
 * read from a declaration:
 *
 * <ul>
 *   <li>{@link #kind()}: the {@link Kind} of value (string, secret, int, boolean, duration, size,
 *       identifier, enum, decimal, list), which decides how text is parsed;
 *   <li>{@link #min()} and {@link #max()}: the inclusive bounds of an int, decimal, duration or
 *       size setting, written as a value of the setting ({@code 10ms}, {@code 5m}, {@code 1000},
 *       {@code 64kB}); empty for other kinds;
 *   <li>{@link #allowedValues()}: the accepted texts of an enum setting ({@code polling}, {@code
 *       cdc}), in declaration order; empty for other kinds;
 *   <li>{@link #deprecatedAliases()}: older keys still read (with a WARN) in place of this one.
 * </ul>
 *
 * @param <T> the value type
 */
public final class Setting<T> {
  private static final Logger LOG = LoggerFactory.getLogger(Setting.class);
  private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z][a-z0-9-]*)+");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(|B|kB|KB|MB|GB)");

  /** The value {@link #byteSizeOrAuto} parses {@code auto} to. */
  public static final long AUTO = 0;

  /** What kind of value a setting holds; decides how its text is parsed. */
  public enum Kind {
    /** Free text, trimmed. */
    STRING,
    /** Text that is never shown; may be read from a file. */
    SECRET,
    /** A whole number within {@link #min()}..{@link #max()}. */
    INT,
    /** {@code true} or {@code false}. */
    BOOLEAN,
    /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 7d} or ISO-8601, in a range. */
    DURATION,
    /** Bytes, or a number with {@code kB}, {@code MB}, {@code GB} (1024-based), in a range. */
    SIZE,
    /** An SQL identifier, optionally schema-qualified. */
    IDENTIFIER,
    /** One of {@link #allowedValues()}, case-insensitive. */
    ENUM,
    /** A decimal number within {@link #min()}..{@link #max()}. */
    DECIMAL,
    /** Comma-separated items, each trimmed; empty items are dropped. */
    LIST
  }

  private final String key;
  private final Kind kind;
  private final String type;
  private final String defaultText;
  private final String doc;
  private final boolean secret;
  private final Function<String, T> parser;
  private final Function<T, String> validator;
  private final Function<T, String> formatter;
  private final String min;
  private final String max;
  private final List<String> allowed;
  private final List<String> aliases;

  private Setting(
      String key,
      Kind kind,
      String type,
      String defaultText,
      String doc,
      Function<String, T> parser,
      Function<T, String> validator,
      Function<T, String> formatter,
      String min,
      String max,
      List<String> allowed,
      List<String> aliases) {
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("setting key '" + key + "' must be dotted lower case");
    }
    this.key = key;
    this.kind = kind;
    this.type = type;
    this.defaultText = defaultText;
    this.doc = Objects.requireNonNull(doc, "doc");
    this.secret = kind == Kind.SECRET;
    this.parser = parser;
    this.validator = validator;
    this.formatter = formatter;
    this.min = min;
    this.max = max;
    this.allowed = List.copyOf(allowed);
    this.aliases = List.copyOf(aliases);
    if (defaultText != null && !defaultText.isEmpty()) {
      parse(defaultText); // a default outside the declared range is a programming error
    }
  }

  private static <T> Setting<T> plain(
      String key, Kind kind, String type, String defaultText, String doc, Function<String, T> p) {
    return new Setting<>(
        key,
        kind,
        type,
        defaultText,
        doc,
        p,
        v -> null,
        String::valueOf,
        null,
        null,
        List.of(),
        List.of());
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
        Kind.STRING,
        "string",
        defaultValue,
        doc,
        s -> s,
        s -> s == null || s.isBlank() ? "must not be blank" : null,
        s -> s,
        null,
        null,
        List.of(),
        List.of());
  }

  /**
   * A text setting with a check of its own, e.g. a name with a fixed form; the value is trimmed.
   *
   * @param key the dotted key
   * @param defaultValue the value when none is given, or null to make the setting required
   * @param check returns why a (trimmed, non-blank) value is refused, or null when it is fine
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<String> text(
      String key, String defaultValue, Function<String, String> check, String doc) {
    return new Setting<>(
        key,
        Kind.STRING,
        "string",
        defaultValue,
        doc,
        String::trim,
        s -> s == null || s.isBlank() ? "must not be blank" : check.apply(s),
        s -> s,
        null,
        null,
        List.of(),
        List.of());
  }

  /**
   * A text setting that may be empty (empty means "not set").
   *
   * @param key the dotted key
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<String> optionalString(String key, String doc) {
    return plain(key, Kind.STRING, "string", "", doc, String::trim);
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
    return plain(key, Kind.SECRET, "secret", defaultValue, doc, s -> s);
  }

  /**
   * An integer in {@code [min, max]}.
   *
   * @param key the dotted key
   * @param defaultValue the value when none is given, or null to make the setting required
   * @param min the smallest accepted value
   * @param max the largest accepted value
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<Integer> integer(
      String key, Integer defaultValue, int min, int max, String doc) {
    return new Setting<>(
        key,
        Kind.INT,
        "int " + min + ".." + max,
        defaultValue == null ? null : defaultValue.toString(),
        doc,
        s -> {
          try {
            return Integer.parseInt(s.trim().replace("_", ""));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a whole number");
          }
        },
        v -> v < min || v > max ? "expected a number from " + min + " to " + max : null,
        String::valueOf,
        Integer.toString(min),
        Integer.toString(max),
        List.of(),
        List.of());
  }

  /**
   * A decimal number in {@code [min, max]}, e.g. a backoff multiplier.
   *
   * @param key the dotted key
   * @param defaultValue the value when none is given
   * @param min the smallest accepted value
   * @param max the largest accepted value
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<Double> decimal(
      String key, double defaultValue, double min, double max, String doc) {
    return new Setting<>(
        key,
        Kind.DECIMAL,
        "decimal " + min + ".." + max,
        Double.toString(defaultValue),
        doc,
        s -> {
          try {
            double v = Double.parseDouble(s.trim());
            if (Double.isNaN(v) || Double.isInfinite(v)) {
              throw new NumberFormatException();
            }
            return v;
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a number from " + min + " to " + max);
          }
        },
        v ->
            v.isNaN() || v < min || v > max ? "expected a number from " + min + " to " + max : null,
        String::valueOf,
        Double.toString(min),
        Double.toString(max),
        List.of(),
        List.of());
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
    return plain(
        key,
        Kind.BOOLEAN,
        "boolean",
        Boolean.toString(defaultValue),
        doc,
        s -> {
          String v = s.trim().toLowerCase(Locale.ROOT);
          if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("expected true or false");
          }
          return Boolean.valueOf(v);
        });
  }

  /**
   * One constant of an enum, written in lower case with dashes for underscores ({@code DEAD_LETTER}
   * is {@code dead-letter}); case-insensitive, and the underscore spelling is accepted too.
   *
   * @param <E> the enum type
   * @param key the dotted key
   * @param type the enum class
   * @param defaultValue the value when none is given
   * @param doc what the setting does and what each value means, shown in the configuration table
   * @return the declaration; immutable
   */
  public static <E extends Enum<E>> Setting<E> ofEnum(
      String key, Class<E> type, E defaultValue, String doc) {
    return ofEnum(key, type, defaultValue, Setting::enumText, doc);
  }

  /**
   * One constant of an enum whose constants are written with texts of their own (e.g. {@code
   * DERIVE_FROM_COORDINATES} written {@code derive}); case-insensitive.
   *
   * @param <E> the enum type
   * @param key the dotted key
   * @param type the enum class
   * @param defaultValue the value when none is given
   * @param text the text of each constant, lower case
   * @param doc what the setting does and what each value means, shown in the configuration table
   * @return the declaration; immutable
   */
  public static <E extends Enum<E>> Setting<E> ofEnum(
      String key, Class<E> type, E defaultValue, Function<E, String> text, String doc) {
    E[] constants = type.getEnumConstants();
    List<String> names = new ArrayList<>();
    for (E e : constants) {
      names.add(text.apply(e));
    }
    String expected = "expected " + oneOf(names);
    return new Setting<>(
        key,
        Kind.ENUM,
        oneOf(names),
        defaultValue == null ? null : text.apply(defaultValue),
        doc,
        s -> {
          String v = s.trim().toLowerCase(Locale.ROOT);
          for (E e : constants) {
            if (text.apply(e).equals(v) || text.apply(e).equals(v.replace('_', '-'))) {
              return e;
            }
          }
          throw new IllegalArgumentException(expected);
        },
        v -> null,
        text,
        null,
        null,
        names,
        List.of());
  }

  /**
   * The text of an enum constant as settings write it: lower case, dashes for underscores.
   *
   * @param value an enum constant, e.g. {@code DEAD_LETTER}
   * @return e.g. {@code dead-letter}
   */
  public static String enumText(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String oneOf(List<String> names) {
    if (names.size() == 1) {
      return names.get(0);
    }
    return String.join(", ", names.subList(0, names.size() - 1))
        + " or "
        + names.get(names.size() - 1);
  }

  /**
   * A duration written {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 7d} or ISO-8601
   * ({@code PT30S}), in {@code [min, max]}.
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
    String expected =
        "expected a duration from " + formatDuration(min) + " to " + formatDuration(max);
    return new Setting<>(
        key,
        Kind.DURATION,
        "duration " + formatDuration(min) + ".." + formatDuration(max),
        defaultValue,
        doc,
        s -> parseDuration(s.trim()),
        d -> d.compareTo(min) < 0 || d.compareTo(max) > 0 ? expected : null,
        Setting::formatDuration,
        formatDuration(min),
        formatDuration(max),
        List.of(),
        List.of());
  }

  /**
   * A size in bytes, written as a whole number of bytes or with a unit ({@code 900kB}, {@code
   * 32MB}, {@code 1GB}; 1024-based), in {@code [min, max]}.
   *
   * @param key the dotted key
   * @param defaultValue the size when none is given, in bytes
   * @param min the smallest accepted size in bytes, at least 1
   * @param max the largest accepted size in bytes
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<Long> byteSize(
      String key, long defaultValue, long min, long max, String doc) {
    checkSizeBounds(min, max);
    String expected = "expected a size from " + formatSize(min) + " to " + formatSize(max);
    return new Setting<>(
        key,
        Kind.SIZE,
        "size " + formatSize(min) + ".." + formatSize(max),
        formatSize(defaultValue),
        doc,
        s -> parseSize(s.trim()),
        b -> b < min || b > max ? expected : null,
        Setting::formatSize,
        formatSize(min),
        formatSize(max),
        List.of(),
        List.of());
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
    checkSizeBounds(min, max);
    String expected =
        "expected a size from " + formatSize(min) + " to " + formatSize(max) + " or auto";
    return new Setting<>(
        key,
        Kind.SIZE,
        "size " + formatSize(min) + ".." + formatSize(max) + " or auto",
        "auto",
        doc,
        s -> s.trim().equalsIgnoreCase("auto") ? AUTO : parseSize(s.trim()),
        b -> b != AUTO && (b < min || b > max) ? expected : null,
        b -> b == AUTO ? "auto" : formatSize(b),
        formatSize(min),
        formatSize(max),
        List.of(),
        List.of());
  }

  private static void checkSizeBounds(long min, long max) {
    if (min < 1 || max < min) {
      throw new IllegalArgumentException("a size setting needs 1 <= min <= max");
    }
  }

  /**
   * A comma-separated list; each item is trimmed and empty items are dropped. A required list (no
   * default) must hold at least one item.
   *
   * @param key the dotted key
   * @param defaultValue the items when none are given, comma separated; null makes the setting
   *     required
   * @param item the check of one item: returns why it is refused, or null when it is fine
   * @param doc what the setting does, shown in the configuration table
   * @return the declaration; immutable
   */
  public static Setting<List<String>> list(
      String key, String defaultValue, Function<String, String> item, String doc) {
    boolean required = defaultValue == null;
    return new Setting<>(
        key,
        Kind.LIST,
        "list",
        defaultValue,
        doc,
        s -> Arrays.stream(s.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList(),
        l -> {
          if (l == null || (required && l.isEmpty())) {
            return "expected at least one item, comma separated";
          }
          for (String t : l) {
            String why = item.apply(t);
            if (why != null) {
              return "'" + t + "' " + why;
            }
          }
          return null;
        },
        l -> String.join(",", l),
        null,
        null,
        List.of(),
        List.of());
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
        Kind.IDENTIFIER,
        "identifier",
        defaultValue,
        doc,
        s -> {
          try {
            return SqlIdentifier.parse(key, s.trim());
          } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                "expected a name of letters, digits and underscores (optionally schema.name)"
                    + " that is not a reserved word");
          }
        },
        v -> null,
        SqlIdentifier::sql,
        null,
        null,
        List.of(),
        List.of());
  }

  /**
   * The same setting under another key, e.g. a retry template's key under {@code relay.} or {@code
   * inbox.}: type, range, default and parse are the same.
   *
   * @param newKey the dotted key of the copy
   * @param newDoc the copy's documentation
   * @return the copy; immutable
   */
  public Setting<T> withKey(String newKey, String newDoc) {
    return new Setting<>(
        newKey,
        kind,
        type,
        defaultText,
        newDoc,
        parser,
        validator,
        formatter,
        min,
        max,
        allowed,
        aliases);
  }

  /**
   * The same setting with another default.
   *
   * @param value the default, written like a value of the setting
   * @return the copy; immutable
   * @throws IllegalArgumentException when the default is not a valid value
   */
  public Setting<T> withDefault(String value) {
    return new Setting<>(
        key, kind, type, value, doc, parser, validator, formatter, min, max, allowed, aliases);
  }

  /**
   * The same setting, also read from an older key: a value given under {@code oldKey} (or its
   * environment variable) is used when the setting's own key is not given, with a WARN naming the
   * new key.
   *
   * @param oldKey the deprecated dotted key
   * @return the copy; immutable
   */
  public Setting<T> withDeprecatedAlias(String oldKey) {
    List<String> more = new ArrayList<>(aliases);
    more.add(oldKey);
    return new Setting<>(
        key, kind, type, defaultText, doc, parser, validator, formatter, min, max, allowed, more);
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
        + (aliases.isEmpty()
            ? ""
            : " Formerly " + String.join(", ", aliases) + " (still read, with a warning).")
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
   * The kind of value (see the class comment).
   *
   * @return how the setting's text is parsed
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The smallest accepted value of an int, decimal, duration or size setting.
   *
   * @return the bound written as a value of the setting (e.g. {@code 10ms}, {@code 1}, {@code
   *     64kB}), or empty for kinds without a range
   */
  public Optional<String> min() {
    return Optional.ofNullable(min);
  }

  /**
   * The largest accepted value of an int, decimal, duration or size setting.
   *
   * @return the bound written as a value of the setting, or empty for kinds without a range
   */
  public Optional<String> max() {
    return Optional.ofNullable(max);
  }

  /**
   * The accepted values of an enum setting.
   *
   * @return the texts, in declaration order; empty for other kinds; unmodifiable
   */
  public List<String> allowedValues() {
    return allowed;
  }

  /**
   * Older keys still read in place of this one, with a WARN.
   *
   * @return the deprecated keys; empty when there are none; unmodifiable
   */
  public List<String> deprecatedAliases() {
    return aliases;
  }

  /**
   * The typed default.
   *
   * @return the default, parsed
   * @throws IllegalStateException when the setting is required (has no default)
   */
  public T defaultValue() {
    if (defaultText == null) {
      throw new IllegalStateException(key + " is required and has no default");
    }
    return parse(defaultText);
  }

  /**
   * Parses a raw value.
   *
   * @param raw the value as written in a file, flag or environment variable
   * @return the parsed value, within the declared bounds
   * @throws IllegalArgumentException with the reason (not naming the key or value)
   */
  public T parse(String raw) {
    T value = parser.apply(raw);
    String why = validator.apply(value);
    if (why != null) {
      throw new IllegalArgumentException(why);
    }
    return value;
  }

  /**
   * Why a typed value (from a builder or constructor) is refused: the same reason {@link #parse}
   * gives for its text.
   *
   * @param value the value; null counts as missing
   * @return the problem, with the value shown as a setting's text ({@code (secret)} for a secret),
   *     or empty when the value is accepted
   */
  public Optional<ConfigProblem> problemWith(T value) {
    if (value == null) {
      return Optional.of(
          new ConfigProblem(key, null, "required: give a value (see docs/configuration.md)"));
    }
    String why = validator.apply(value);
    if (why == null) {
      return Optional.empty();
    }
    return Optional.of(new ConfigProblem(key, secret ? SECRET_SHOWN : formatter.apply(value), why));
  }

  /**
   * Checks a typed value the way {@link #parse} checks its text.
   *
   * @param value the value from a builder or constructor
   * @return {@code value}
   * @throws ConfigException naming this key, the value and the reason, when it is refused
   */
  public T check(T value) {
    Optional<ConfigProblem> p = problemWith(value);
    if (p.isPresent()) {
      throw new ConfigException(List.of(p.get().text()));
    }
    return value;
  }

  /**
   * A value as a setting's text, e.g. {@code 500ms} for half a second.
   *
   * @param value a value of this setting
   * @return the text that {@link #parse} reads back to {@code value}; {@code (secret)} for a secret
   */
  public String format(T value) {
    return secret ? SECRET_SHOWN : formatter.apply(value);
  }

  /** How a secret value is shown in problems. */
  static final String SECRET_SHOWN = "(secret)";

  /** Logs that a deprecated key was used. */
  void warnDeprecated(String oldKey) {
    LOG.warn("setting {} is deprecated and will be removed; use {} instead", oldKey, key);
  }

  static Duration parseDuration(String s) {
    var m = DURATION.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
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

  static String formatDuration(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long sec = d.toSeconds();
    if (sec >= 86_400 && sec % 86_400 == 0) {
      return sec / 86_400 + "d";
    }
    if (sec >= 3600 && sec % 3600 == 0) {
      return sec / 3600 + "h";
    }
    if (sec >= 60 && sec % 60 == 0) {
      return sec / 60 + "m";
    }
    return sec + "s";
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
