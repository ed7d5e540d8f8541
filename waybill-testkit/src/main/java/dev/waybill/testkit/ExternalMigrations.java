package dev.waybill.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies SQL scripts with the real Flyway or Liquibase, as a user of Waybill would: for tests that
 * a schema applied by those tools is one Waybill accepts. Flyway and Liquibase are optional
 * dependencies of the test kit: a module that calls this declares {@code flyway-core} (with {@code
 * flyway-database-postgresql} and {@code flyway-mysql}) or {@code liquibase-core} in test scope.
 */
public final class ExternalMigrations {
  private ExternalMigrations() {}

  /**
   * Runs Flyway {@code migrate}: a history table of its own, baseline at version 0 when the schema
   * already holds other tables (so that no script is skipped).
   *
   * @param dataSource the database
   * @param table Flyway's history table
   * @param locations Flyway locations, e.g. {@code classpath:db/waybill/outbox/postgresql}
   * @param placeholders the placeholder values
   * @return the versions applied, in order
   */
  public static List<String> flyway(
      DataSource dataSource,
      String table,
      List<String> locations,
      Map<String, String> placeholders) {
    MigrateResult r =
        Flyway.configure()
            .dataSource(dataSource)
            .table(table)
            .locations(locations.toArray(String[]::new))
            .placeholders(placeholders)
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load()
            .migrate();
    return r.migrations.stream().map(m -> m.version).toList();
  }

  /**
   * Runs Liquibase {@code update} of a class-path changelog with changelog parameters.
   *
   * @param dataSource the database
   * @param changelog the changelog's class-path resource
   * @param parameters the changelog parameters
   * @throws IllegalStateException when Liquibase fails
   */
  public static void liquibase(
      DataSource dataSource, String changelog, Map<String, String> parameters) {
    try (Connection c = dataSource.getConnection()) {
      Database db =
          DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
      @SuppressWarnings("deprecation")
      Liquibase lb = new Liquibase(changelog, new ClassLoaderResourceAccessor(), db);
      parameters.forEach(lb::setChangeLogParameter);
      lb.update(new Contexts(), new LabelExpression());
    } catch (SQLException | LiquibaseException e) {
      throw new IllegalStateException("Liquibase update of " + changelog + " failed: " + e, e);
    }
  }
}
