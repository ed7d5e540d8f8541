package dev.waybill.spring.internal;

import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.jdbc.DatabaseConnectionException;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.relay.RelayConfig;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.core.env.Environment;

/**
 * The outbox and relay settings of a Spring application: which Waybill settings the starter reads
 * ({@code db.*} and {@code http.*} are not among them: the {@code DataSource} is Spring's and the
 * health and metrics are Actuator's), and reading them from the environment into Waybill's own
 * validated configurations. Not API.
 */
public final class StarterSettings {
  /** {@code waybill.relay.enabled}: whether the embedded relay runs. */
  public static final String RELAY_ENABLED = "waybill.relay.enabled";

  private StarterSettings() {}

  /**
   * The settings of the outbox writer.
   *
   * @return the {@code outbox.*} declarations
   */
  public static List<Setting<?>> outboxSettings() {
    return OutboxConfig.SETTINGS;
  }

  /**
   * The settings of the embedded relay: {@code outbox.*}, {@code relay.*} and {@code
   * kafka.bootstrap.servers}.
   *
   * @return the declarations, in documentation order
   */
  public static List<Setting<?>> relaySettings() {
    return RelayConfig.allSettings().stream()
        .filter(s -> !DatabaseSettings.SETTINGS.contains(s))
        .filter(s -> !s.key().startsWith("http."))
        .toList();
  }

  /**
   * Reads and validates the {@code waybill.outbox.*} properties.
   *
   * @param environment the application's environment
   * @return the writer's configuration
   * @throws dev.waybill.outbox.config.ConfigException naming each bad Spring property
   */
  public static OutboxConfig outbox(Environment environment) {
    List<Setting<?>> known = outboxSettings();
    Settings settings = SpringSettings.read(environment, known, false);
    List<String> unknown =
        SpringSettings.unknownProperties(environment, List.of("waybill.outbox."), known, List.of());
    return SpringSettings.validated(
        () -> {
          Settings.Reader r = settings.reader();
          OutboxConfig c = OutboxConfig.read(r);
          r.finish();
          return c;
        },
        known,
        unknown);
  }

  /**
   * Reads and validates the {@code waybill.outbox.*}, {@code waybill.relay.*} and {@code
   * waybill.kafka.*} properties, with the cross-setting rules of {@link RelayConfig#read}.
   *
   * @param environment the application's environment
   * @param dataSource the application's database; its URL lets the relay's checks run (CDC needs
   *     PostgreSQL), the relay itself uses the {@code DataSource}
   * @return the relay's configuration, without {@code db.*} settings and without HTTP
   * @throws dev.waybill.outbox.config.ConfigException naming each bad Spring property
   */
  public static RelayConfig relay(Environment environment, DataSource dataSource) {
    List<Setting<?>> known = relaySettings();
    Settings fromSpring = SpringSettings.read(environment, known, true);
    Map<String, String> values = new HashMap<>();
    fromSpring.keys().forEach(k -> values.put(k, fromSpring.raw(k).orElseThrow()));
    describe(dataSource, values);
    List<String> unknown =
        SpringSettings.unknownProperties(
            environment, List.of("waybill.relay."), known, List.of(RELAY_ENABLED));
    RelayConfig c =
        SpringSettings.validated(() -> RelayConfig.read(Settings.of(values)), known, unknown);
    return c.embedded();
  }

  /**
   * The {@code db.*} values {@link RelayConfig#read} checks, taken from the data source: its URL
   * decides which modes are possible. The password is never read; the configuration built from
   * these values is replaced by one without {@code db.*} settings.
   */
  private static void describe(DataSource dataSource, Map<String, String> values) {
    try (Connection c = dataSource.getConnection()) {
      DatabaseMetaData md = c.getMetaData();
      values.put(DatabaseSettings.URL.key(), md.getURL());
      values.put(DatabaseSettings.USER.key(), md.getUserName());
      values.put(DatabaseSettings.PASSWORD.key(), "");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "the embedded relay cannot reach the application's database: "
              + DatabaseConnectionException.describe(e),
          e);
    }
  }
}
