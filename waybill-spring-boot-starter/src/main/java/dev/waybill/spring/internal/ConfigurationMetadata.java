package dev.waybill.spring.internal;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.outbox.config.Setting;
import dev.waybill.spring.SchemaMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Spring configuration metadata of the starter ({@code
 * META-INF/spring-configuration-metadata.json}, which IDEs read for completion and documentation),
 * generated from Waybill's setting declarations under the names of {@link PropertyNames}. A test
 * compares the shipped file with {@link #json()}, so the file cannot drift from the declarations.
 * Not API.
 */
public final class ConfigurationMetadata {
  /** Where the file lives in the jar. */
  public static final String RESOURCE = "META-INF/spring-configuration-metadata.json";

  private ConfigurationMetadata() {}

  /**
   * Every setting the starter reads: the outbox's, the embedded relay's and the inbox's.
   *
   * @return the declarations, in documentation order
   */
  public static List<Setting<?>> settings() {
    List<Setting<?>> all = new ArrayList<>(StarterSettings.relaySettings());
    all.addAll(InboxConfig.SETTINGS);
    return List.copyOf(all);
  }

  /**
   * The metadata file's content.
   *
   * @return JSON text, two-space indented, ending with a line break
   */
  public static String json() {
    StringBuilder b = new StringBuilder();
    b.append("{\n  \"groups\": [\n");
    List<String[]> groups =
        List.of(
            new String[] {"waybill", "Waybill: transactional outbox, relay and inbox."},
            new String[] {"waybill.outbox", "The outbox table the application writes to."},
            new String[] {"waybill.relay", "The embedded relay (waybill.relay.enabled=true)."},
            new String[] {"waybill.inbox", "The inbox consumer."},
            new String[] {"waybill.schema", "Schema handling at start."},
            new String[] {
              "waybill.kafka",
              "Kafka client settings, passed through to the relay's producer (Kafka's own names)."
            });
    for (int i = 0; i < groups.size(); i++) {
      b.append("    {\n      \"name\": ")
          .append(quote(groups.get(i)[0]))
          .append(",\n      \"description\": ")
          .append(quote(groups.get(i)[1]))
          .append("\n    }")
          .append(i < groups.size() - 1 ? ",\n" : "\n");
    }
    b.append("  ],\n  \"properties\": [\n");
    List<String> properties = new ArrayList<>();
    properties.add(
        property(
            StarterSettings.RELAY_ENABLED,
            "java.lang.Boolean",
            "Whether the application runs an embedded relay that publishes the outbox to Kafka.",
            "false"));
    properties.add(
        property(
            SchemaMode.PROPERTY,
            SchemaMode.class.getName(),
            "waybill: Waybill's migrator brings the tables to the latest version at start; flyway:"
                + " the shipped scripts run on a Flyway instance of the starter's own, with its own"
                + " history table; none: the tables are only checked.",
            "\"waybill\""));
    for (Setting<?> s : settings()) {
      properties.add(
          property(
              PropertyNames.springName(s.key()),
              javaType(s),
              s.doc() + " (Waybill setting " + s.key() + ", " + s.type() + ")",
              s.defaultText().filter(d -> !d.isEmpty()).map(d -> literal(s, d)).orElse(null)));
    }
    b.append(String.join(",\n", properties)).append("\n  ],\n  \"hints\": [\n");
    List<String> hints = new ArrayList<>();
    List<String> modes = new ArrayList<>();
    for (SchemaMode m : SchemaMode.values()) {
      modes.add(m.name().toLowerCase(Locale.ROOT));
    }
    hints.add(hint(SchemaMode.PROPERTY, modes));
    for (Setting<?> s : settings()) {
      if (!s.allowedValues().isEmpty()) {
        hints.add(hint(PropertyNames.springName(s.key()), s.allowedValues()));
      }
    }
    b.append(String.join(",\n", hints)).append("\n  ]\n}\n");
    return b.toString();
  }

  /** The values an IDE offers for {@code name}. */
  private static String hint(String name, List<String> allowed) {
    List<String> values = new ArrayList<>();
    for (String v : allowed) {
      values.add("        {\n          \"value\": " + quote(v) + "\n        }");
    }
    return "    {\n      \"name\": "
        + quote(name)
        + ",\n      \"values\": [\n"
        + String.join(",\n", values)
        + "\n      ]\n    }";
  }

  private static String property(String name, String type, String description, String value) {
    return "    {\n      \"name\": "
        + quote(name)
        + ",\n      \"type\": "
        + quote(type)
        + ",\n      \"description\": "
        + quote(description)
        + (value == null ? "" : ",\n      \"defaultValue\": " + value)
        + "\n    }";
  }

  private static String javaType(Setting<?> s) {
    return switch (s.kind()) {
      case INT -> "java.lang.Integer";
      case BOOLEAN -> "java.lang.Boolean";
      case DURATION -> "java.time.Duration";
      case DECIMAL -> "java.lang.Double";
      case LIST -> "java.util.List<java.lang.String>";
      default -> "java.lang.String";
    };
  }

  private static String literal(Setting<?> s, String defaultText) {
    String type = javaType(s);
    if (type.equals("java.lang.Integer") || type.equals("java.lang.Boolean")) {
      return defaultText;
    }
    return quote(defaultText);
  }

  private static String quote(String text) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
