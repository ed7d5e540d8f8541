package dev.waybill.outbox.schema;

import java.util.List;

/**
 * What one {@link SchemaMigrator#migrate()} did.
 *
 * @param component the component migrated
 * @param fromVersion the version found (0 for none)
 * @param toVersion the version now
 * @param applied the versions this call applied, in order (empty when already current)
 */
public record MigrationResult(
    String component, int fromVersion, int toVersion, List<Integer> applied) {

  /**
   * Copies {@code applied}.
   *
   * @param component the component migrated
   * @param fromVersion the version found, 0 for none
   * @param toVersion the version afterwards
   * @param applied the versions applied by this call
   */
  public MigrationResult {
    applied = List.copyOf(applied);
  }
}
