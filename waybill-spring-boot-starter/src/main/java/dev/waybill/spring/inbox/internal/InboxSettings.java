package dev.waybill.spring.inbox.internal;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.spring.internal.SpringSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.core.env.Environment;

/**
 * The {@code inbox.*} settings of the application, read from Spring's {@link Environment} as {@code
 * waybill.inbox.*} (e.g. {@code waybill.inbox.group-id}, or {@code waybill.inbox.group.id}) from
 * the setting definitions of {@link InboxConfig}, with the starter's {@link SpringSettings}: errors
 * name the Spring property, misspelt {@code waybill.inbox.*} properties are reported. Not API.
 */
public final class InboxSettings {
  /** The switch of the inbox auto-configuration, a property that is no setting. */
  public static final String ENABLED = "waybill.inbox.enabled";

  private final Map<String, String> values;
  private final List<String> unknown;

  private InboxSettings(Map<String, String> values, List<String> unknown) {
    this.values = values;
    this.unknown = unknown;
  }

  /**
   * @param environment the application's environment
   * @return the {@code inbox.*} values set in it
   */
  public static InboxSettings from(Environment environment) {
    Settings raw = SpringSettings.read(environment, InboxConfig.SETTINGS, false);
    Map<String, String> values = new LinkedHashMap<>();
    for (String key : raw.keys()) {
      raw.raw(key).ifPresent(v -> values.put(key, v));
    }
    List<String> unknown =
        SpringSettings.unknownProperties(
            environment, List.of("waybill.inbox."), InboxConfig.SETTINGS, List.of(ENABLED));
    return new InboxSettings(values, List.copyOf(unknown));
  }

  /**
   * The configuration of one consumer group.
   *
   * @param group the group named on its handlers, or empty for {@code waybill.inbox.group-id}
   * @param topics the topics named on its handlers, or empty for {@code waybill.inbox.topics}
   * @return the validated configuration
   * @throws dev.waybill.outbox.config.ConfigException listing every problem, in Spring's names
   */
  public InboxConfig config(String group, List<String> topics) {
    Map<String, String> v = new LinkedHashMap<>(values);
    if (!group.isEmpty()) {
      v.put(InboxConfig.GROUP_ID.key(), group);
    }
    if (!topics.isEmpty()) {
      v.put(InboxConfig.TOPICS.key(), String.join(",", topics));
    }
    return SpringSettings.validated(
        () -> InboxConfig.read(Settings.of(v)), InboxConfig.SETTINGS, unknown);
  }

  /**
   * The group handlers without a group of their own belong to.
   *
   * @return {@code waybill.inbox.group-id}, or empty
   */
  public String defaultGroup() {
    return values.getOrDefault(InboxConfig.GROUP_ID.key(), "");
  }

  /**
   * The table names from {@code waybill.inbox.table} and {@code waybill.inbox.schema}.
   *
   * @return the table names the inbox uses
   */
  public TableNames tables() {
    return SpringSettings.validated(
        () -> {
          Settings.Reader r = Settings.of(values).reader();
          SqlIdentifier table = r.get(InboxConfig.TABLE);
          String schema = r.get(InboxConfig.SCHEMA);
          r.finish();
          TableNames names = TableNames.defaults().withInbox(table.name());
          Optional<String> s =
              table.schema().or(() -> Optional.ofNullable(schema).filter(x -> !x.isBlank()));
          return s.isPresent() ? names.withSchema(s.get()) : names;
        },
        InboxConfig.SETTINGS,
        unknown);
  }
}
