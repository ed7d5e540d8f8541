package dev.waybill.spring.inbox.internal;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.TableNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.core.env.Environment;

/**
 * The {@code inbox.*} settings of the application, read from Spring's {@link Environment} as {@code
 * waybill.inbox.*} from the setting definitions of {@link InboxConfig}, so properties files, YAML,
 * system properties and {@code WAYBILL_INBOX_*} variables all work. Not API.
 */
public final class InboxSettings {
  /** The prefix of Waybill's keys in Spring's environment. */
  public static final String PREFIX = "waybill.";

  private final Map<String, String> values;

  private InboxSettings(Map<String, String> values) {
    this.values = values;
  }

  /**
   * @param environment the application's environment
   * @return the {@code inbox.*} values set in it
   */
  public static InboxSettings from(Environment environment) {
    Map<String, String> values = new LinkedHashMap<>();
    for (Setting<?> s : InboxConfig.SETTINGS) {
      String v = environment.getProperty(PREFIX + s.key());
      if (v != null) {
        values.put(s.key(), v);
      }
    }
    return new InboxSettings(values);
  }

  /**
   * The configuration of one consumer group.
   *
   * @param group the group named on its handlers, or empty for {@code waybill.inbox.group.id}
   * @param topics the topics named on its handlers, or empty for {@code waybill.inbox.topics}
   * @return the validated configuration
   * @throws dev.waybill.outbox.config.ConfigException listing every problem
   */
  public InboxConfig config(String group, List<String> topics) {
    Map<String, String> v = new LinkedHashMap<>(values);
    if (!group.isEmpty()) {
      v.put(InboxConfig.GROUP_ID.key(), group);
    }
    if (!topics.isEmpty()) {
      v.put(InboxConfig.TOPICS.key(), String.join(",", topics));
    }
    return InboxConfig.read(Settings.of(v));
  }

  /**
   * The group handlers without a group of their own belong to.
   *
   * @return {@code waybill.inbox.group.id}, or empty
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
    Settings.Reader r = Settings.of(values).reader();
    SqlIdentifier table = r.get(InboxConfig.TABLE);
    String schema = r.get(InboxConfig.SCHEMA);
    r.finish();
    TableNames names = TableNames.defaults().withInbox(table.name());
    Optional<String> s =
        table.schema().or(() -> Optional.ofNullable(schema).filter(x -> !x.isBlank()));
    return s.isPresent() ? names.withSchema(s.get()) : names;
  }
}
