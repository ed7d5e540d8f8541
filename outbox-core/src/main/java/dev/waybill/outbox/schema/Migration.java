package dev.waybill.outbox.schema;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One versioned schema change of a component: the script {@code
 * db/waybill/<component>/<dialect>/V<fileVersion>__<description with underscores>.sql} on the class
 * path, named as Flyway expects so Flyway and Liquibase users can run the same files.
 *
 * <p>{@code version} counts the component's own changes (1, 2, ...; it is what Waybill's history
 * table records). {@code fileVersion} numbers the scripts of all components in one sequence, so the
 * outbox and inbox scripts can share one Flyway history: outbox 1 and 2 are files {@code V1} and
 * {@code V2}, inbox 1 is file {@code V3}, and a later change of either component takes the next
 * free number.
 *
 * @param version the component's version, from 1, increasing by one
 * @param description a short lower-case description, e.g. {@code create outbox table}
 * @param fileVersion the version in the script's file name, unique across all components
 */
public record Migration(int version, String description, int fileVersion) {
  private static final Pattern DESCRIPTION = Pattern.compile("[a-z0-9 ]+");

  /**
   * @param version the version, at least 1
   * @param description lower-case letters, digits and spaces
   * @param fileVersion the file name's version, at least {@code version}
   * @throws IllegalArgumentException when a version is below 1 or the description is not plain
   *     lower-case words
   */
  public Migration {
    if (version < 1) {
      throw new IllegalArgumentException("migration version " + version + " must be 1 or more");
    }
    if (fileVersion < version) {
      throw new IllegalArgumentException(
          "migration file version " + fileVersion + " must be at least its version " + version);
    }
    Objects.requireNonNull(description, "description");
    if (!DESCRIPTION.matcher(description).matches()) {
      throw new IllegalArgumentException(
          "migration description '" + description + "' must be lower-case words and digits");
    }
  }

  /**
   * A migration whose file carries its own version.
   *
   * @param version the version, at least 1, also the file name's version
   * @param description lower-case letters, digits and spaces
   * @throws IllegalArgumentException when the version is below 1 or the description is not plain
   *     lower-case words
   */
  public Migration(int version, String description) {
    this(version, description, version);
  }

  /**
   * The script's file name, e.g. {@code V1__create_outbox_table.sql}.
   *
   * @return {@code V<fileVersion>__<description with underscores>.sql}
   */
  public String fileName() {
    return "V" + fileVersion + "__" + description.replace(' ', '_') + ".sql";
  }
}
