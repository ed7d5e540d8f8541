package dev.waybill.spring;

import dev.waybill.outbox.config.ConfigException;
import java.util.List;
import java.util.Locale;

/** How the starter handles Waybill's tables at start ({@code waybill.schema.mode}). */
public enum SchemaMode {
  /** Waybill's own migrator brings the tables to the latest version (the default). */
  WAYBILL,
  /**
   * The scripts Waybill ships are applied by a Flyway instance of the starter's own, with its own
   * history table, apart from the application's Flyway migrations.
   */
  FLYWAY,
  /** Nothing is applied; the tables are only checked (the application migrates them itself). */
  NONE;

  /** The Spring property that selects the mode. */
  public static final String PROPERTY = "waybill.schema.mode";

  /**
   * Parses a property value, case-insensitively.
   *
   * @param value the value of {@value #PROPERTY}
   * @return the mode
   * @throws ConfigException naming the property, the value and the accepted values
   */
  public static SchemaMode parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          List.of("'" + value + "' → " + PROPERTY + " → expected waybill, flyway or none"));
    }
  }
}
