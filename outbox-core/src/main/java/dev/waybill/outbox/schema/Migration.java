package dev.waybill.outbox.schema;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One versioned schema change of a component: the script {@code
 * db/waybill/<component>/<dialect>/V<version>__<description with underscores>.sql} on the class
 * path, named as Flyway expects so Flyway and Liquibase users can run the same files.
 *
 * @param version the version, from 1, increasing by one
 * @param description a short lower-case description, e.g. {@code create outbox table}
 */
public record Migration(int version, String description) {
  private static final Pattern DESCRIPTION = Pattern.compile("[a-z0-9 ]+");

  /**
   * @param version the version, at least 1
   * @param description lower-case letters, digits and spaces
   * @throws IllegalArgumentException when the version is below 1 or the description is not plain
   *     lower-case words
   */
  public Migration {
    if (version < 1) {
      throw new IllegalArgumentException("migration version " + version + " must be 1 or more");
    }
    Objects.requireNonNull(description, "description");
    if (!DESCRIPTION.matcher(description).matches()) {
      throw new IllegalArgumentException(
          "migration description '" + description + "' must be lower-case words and digits");
    }
  }

  /**
   * The script's file name, e.g. {@code V1__create_outbox_table.sql}.
   *
   * @return {@code V<version>__<description with underscores>.sql}
   */
  public String fileName() {
    return "V" + version + "__" + description.replace(' ', '_') + ".sql";
  }
}
