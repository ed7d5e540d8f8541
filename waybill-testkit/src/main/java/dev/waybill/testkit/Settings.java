package dev.waybill.testkit;

import java.util.Optional;

/** Reads the testkit's settings: a system property wins over the environment variable. */
final class Settings {

  private Settings() {}

  /**
   * Returns the non-blank value of the system property {@code property}, else of the environment
   * variable {@code env}.
   */
  static Optional<String> get(String env, String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(env);
    }
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  static String get(String env, String property, String defaultValue) {
    String value = System.getProperty(property);
    if (value == null) {
      value = System.getenv(env);
    }
    return value == null ? defaultValue : value;
  }

  /** Names a setting the way error messages show it: {@code ENV (-Dproperty)}. */
  static String name(String env, String property) {
    return env + " (-D" + property + ")";
  }
}
