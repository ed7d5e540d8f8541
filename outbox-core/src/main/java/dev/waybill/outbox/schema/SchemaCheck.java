package dev.waybill.outbox.schema;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.jdbc.SqlStates;
import dev.waybill.outbox.schema.TableSpec.Column;
import dev.waybill.outbox.schema.TableSpec.Fill;
import dev.waybill.outbox.schema.TableSpec.Index;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * Checks that a component's tables have the structure Waybill's code needs, from the database
 * catalog ({@link DatabaseMetaData}): every table, every column the code uses (a compatible type
 * with enough room, nullability, the identity and generated columns the relay relies on) and every
 * index its queries or uniqueness need. A schema applied from the shipped scripts by any tool
 * (Waybill's {@link SchemaMigrator}, Flyway, Liquibase, a DBA) passes; the history table plays no
 * part.
 *
 * <pre>{@code
 * SchemaCheck.verify(dataSource, Dialect.postgres(), TableNames.defaults(), SchemaComponent.outbox());
 * }</pre>
 *
 * <p>Stateless and thread-safe. Reads the catalog only, so the role needs no more than the
 * privileges of the component's own tables.
 */
public final class SchemaCheck {
  private SchemaCheck() {}

  /**
   * Every problem of a component's structure, one line each; empty when the structure is right.
   *
   * @param dataSource the database; one connection is borrowed
   * @param dialect the database's dialect (names the scripts in the fix)
   * @param tables the table names the code uses
   * @param component {@link SchemaComponent#outbox()} or {@link SchemaComponent#inbox()}
   * @return the problems, each naming {@code table.column} (or the table or index) and the script
   *     that creates it
   * @throws MigrationException when the catalog cannot be read
   * @throws IllegalArgumentException for a component Waybill does not ship
   */
  public static List<String> problems(
      DataSource dataSource, Dialect dialect, TableNames tables, SchemaComponent component) {
    return problems(dataSource, dialect, tables, component, spec -> true);
  }

  private static List<String> problems(
      DataSource dataSource,
      Dialect dialect,
      TableNames tables,
      SchemaComponent component,
      Predicate<TableSpec> which) {
    try (Connection c = dataSource.getConnection()) {
      return problems(c, dialect, tables, component, which);
    } catch (SQLException e) {
      throw new MigrationException(
          "cannot read the catalog to check the " + component.name() + " tables: " + e.getMessage(),
          e);
    }
  }

  /**
   * Fails unless some of a component's tables have the structure the caller needs: for a tool that
   * uses only those tables and may not see the others (MySQL shows a role only the tables it has
   * privileges on).
   *
   * @param dataSource the database; one connection is borrowed
   * @param dialect the database's dialect
   * @param tables the table names the code uses
   * @param component the component the tables belong to
   * @param only the tables to check, e.g. {@code tables.deadLetterTable()}
   * @throws SchemaMismatchException listing every problem of those tables and how to fix it
   * @throws MigrationException when the catalog cannot be read
   */
  public static void verify(
      DataSource dataSource,
      Dialect dialect,
      TableNames tables,
      SchemaComponent component,
      Collection<SqlIdentifier> only) {
    Set<SqlIdentifier> wanted = Set.copyOf(only);
    List<String> problems =
        problems(dataSource, dialect, tables, component, spec -> wanted.contains(spec.table()));
    if (!problems.isEmpty()) {
      throw mismatch(dialect, tables, component, problems);
    }
  }

  /**
   * Fails unless a component's structure is right.
   *
   * @param dataSource the database; one connection is borrowed
   * @param dialect the database's dialect
   * @param tables the table names the code uses
   * @param component {@link SchemaComponent#outbox()} or {@link SchemaComponent#inbox()}
   * @throws SchemaMismatchException listing every problem and how to fix it
   * @throws MigrationException when the catalog cannot be read
   */
  public static void verify(
      DataSource dataSource, Dialect dialect, TableNames tables, SchemaComponent component) {
    List<String> problems = problems(dataSource, dialect, tables, component);
    if (!problems.isEmpty()) {
      throw mismatch(dialect, tables, component, problems);
    }
  }

  /**
   * Fails unless the component is ready for the code, by its history or else by its structure: a
   * history at the latest version (or newer) passes; a history at an older version fails (apply the
   * newer scripts); no history at all (the schema was applied by Flyway, Liquibase or a DBA) passes
   * when {@link #verify} does.
   *
   * @param dataSource the database
   * @param dialect the database's dialect
   * @param tables the table names, including the history table
   * @param component the component the caller needs
   * @param who the caller, for the message, e.g. {@code relay r1}
   * @throws MigrationException when the history is behind, or cannot be read
   * @throws SchemaMismatchException when there is no history and the structure is incomplete
   */
  public static void requireCurrent(
      DataSource dataSource,
      Dialect dialect,
      TableNames tables,
      SchemaComponent component,
      String who) {
    int version =
        SchemaMigrator.builder()
            .dataSource(dataSource)
            .dialect(dialect)
            .tables(tables)
            .component(component)
            .build()
            .currentVersion();
    int needed = component.latestVersion();
    if (version == 0) {
      List<String> problems = problems(dataSource, dialect, tables, component);
      if (!problems.isEmpty()) {
        throw new SchemaMismatchException(
            who
                + ": no "
                + component.name()
                + " version is recorded in "
                + tables.historyTable().sql()
                + " and "
                + mismatch(dialect, tables, component, problems).getMessage(),
            problems);
      }
    } else if (version < needed) {
      throw new MigrationException(
          who
              + ": the "
              + component.name()
              + " schema is at version "
              + version
              + ", this code needs "
              + needed
              + ". Apply it first: java -jar outbox-relay.jar migrate (or SchemaMigrator, or the"
              + " newer scripts of "
              + SchemaScripts.resourceFolder(dialect, component)
              + " with the tool that applied the others).");
    }
  }

  private static SchemaMismatchException mismatch(
      Dialect dialect, TableNames tables, SchemaComponent component, List<String> problems) {
    return new SchemaMismatchException(
        "the "
            + component.name()
            + " tables in "
            + tables.schema().map(s -> "schema " + s).orElse("the default schema")
            + " lack what Waybill needs ("
            + problems.size()
            + (problems.size() == 1 ? " problem" : " problems")
            + "):\n  - "
            + String.join("\n  - ", problems)
            + "\nFix: apply the scripts of "
            + SchemaScripts.resourceFolder(dialect, component)
            + " (SchemaMigrator, outbox-relay migrate, or Flyway/Liquibase as docs/schema.md"
            + " shows), or alter the tables to match them.",
        problems);
  }

  /** Every problem of the tables {@code which} accepts, on a connection the caller holds. */
  static List<String> problems(
      Connection c,
      Dialect dialect,
      TableNames tables,
      SchemaComponent component,
      Predicate<TableSpec> which)
      throws SQLException {
    List<String> out = new ArrayList<>();
    for (TableSpec spec : ExpectedStructure.of(component, tables)) {
      if (which.test(spec)) {
        check(c, dialect, component, spec, out);
      }
    }
    return out;
  }

  /** The component's tables that the catalog does not show. */
  static List<SqlIdentifier> missingTables(
      Connection c, Dialect dialect, TableNames tables, SchemaComponent component)
      throws SQLException {
    List<SqlIdentifier> out = new ArrayList<>();
    for (TableSpec spec : ExpectedStructure.of(component, tables)) {
      if (new Lookup(c, dialect, spec.table()).columns().isEmpty()) {
        out.add(spec.table());
      }
    }
    return out;
  }

  private static void check(
      Connection c, Dialect dialect, SchemaComponent component, TableSpec spec, List<String> out)
      throws SQLException {
    SqlIdentifier t = spec.table();
    String script = component.resource(dialect.name(), spec.createdBy());
    Lookup lookup = new Lookup(c, dialect, t);
    Map<String, ColumnInfo> have = lookup.columns();
    if (have.isEmpty()) {
      out.add(t.name() + ": " + whyInvisible(c, t) + "; created by " + script);
      return;
    }
    for (Column col : spec.columns()) {
      String where = t.name() + "." + col.name() + ": ";
      ColumnInfo ci = have.get(col.name());
      if (ci == null) {
        out.add(where + "missing (" + col.describe() + "); created by " + script);
        continue;
      }
      String wrong = ci.mismatch(col, lookup.mysql);
      if (wrong != null) {
        out.add(where + wrong + ", expected " + col.describe() + " as " + script + " creates it");
      }
    }
    Map<String, IndexInfo> indexes = lookup.indexes();
    for (Index ix : spec.indexes()) {
      if (indexes.values().stream().noneMatch(i -> i.satisfies(ix))) {
        out.add(
            t.name()
                + ": "
                + ix.describe()
                + " is missing (found: "
                + (indexes.isEmpty() ? "no index" : String.join("; ", describe(indexes)))
                + "); created by "
                + script);
      }
    }
  }

  /**
   * Why the catalog shows no column of a table: it does not exist, or this role may not read it
   * (MySQL hides a table from a role without privileges on it).
   */
  private static String whyInvisible(Connection c, SqlIdentifier t) {
    try (Statement st = c.createStatement()) {
      st.executeQuery("SELECT 1 FROM " + t.sql() + " WHERE 1 = 0").close();
      return "the catalog shows this role no column of it (grant the role its privileges)";
    } catch (SQLException e) {
      if (SqlStates.undefinedTable(e)) {
        return "table missing";
      }
      return "not usable by this role (" + e.getMessage() + ")";
    }
  }

  /** One table's place in the catalog: MySQL names its database a catalog, the others a schema. */
  private static final class Lookup {
    private final DatabaseMetaData md;
    private final boolean mysql;
    private final String catalog;
    private final String schema;
    private final String table;

    Lookup(Connection c, Dialect dialect, SqlIdentifier t) throws SQLException {
      this.md = c.getMetaData();
      this.mysql = dialect.name().equals("mysql");
      String s = t.schema().orElse(null);
      if (mysql) {
        this.catalog = s != null ? s : c.getCatalog();
        this.schema = null;
      } else {
        this.catalog = null;
        String current = s != null ? s : c.getSchema();
        this.schema = current == null ? null : stored(md, current);
      }
      this.table = stored(md, t.name());
    }

    Map<String, ColumnInfo> columns() throws SQLException {
      Map<String, ColumnInfo> have = new TreeMap<>();
      try (ResultSet rs = md.getColumns(catalog, schema, table, null)) {
        while (rs.next()) {
          ColumnInfo ci = ColumnInfo.read(rs);
          have.put(ci.name, ci);
        }
      }
      return have;
    }

    Map<String, IndexInfo> indexes() throws SQLException {
      return SchemaCheck.indexes(md, catalog, schema, table);
    }
  }

  private static List<String> describe(Map<String, IndexInfo> indexes) {
    List<String> out = new ArrayList<>();
    indexes.forEach(
        (name, i) ->
            out.add(
                name + (i.unique ? " unique" : "") + " (" + String.join(", ", i.columns) + ")"));
    return out;
  }

  private static Map<String, IndexInfo> indexes(
      DatabaseMetaData md, String catalog, String schema, String table) throws SQLException {
    Map<String, TreeMap<Integer, String>> columns = new LinkedHashMap<>();
    Map<String, Boolean> unique = new LinkedHashMap<>();
    try (ResultSet rs = md.getIndexInfo(catalog, schema, table, false, true)) {
      while (rs.next()) {
        String name = rs.getString("INDEX_NAME");
        String column = rs.getString("COLUMN_NAME");
        if (name == null || column == null) {
          continue; // table statistics, or an expression index
        }
        columns
            .computeIfAbsent(name, k -> new TreeMap<>())
            .put((int) rs.getShort("ORDINAL_POSITION"), column.toLowerCase(Locale.ROOT));
        unique.put(name, !rs.getBoolean("NON_UNIQUE"));
      }
    }
    Map<String, IndexInfo> out = new TreeMap<>();
    columns.forEach(
        (name, cols) -> out.put(name, new IndexInfo(List.copyOf(cols.values()), unique.get(name))));
    return out;
  }

  /** An identifier as the catalog stores it, for the metadata look-ups. */
  private static String stored(DatabaseMetaData md, String name) throws SQLException {
    if (md.storesUpperCaseIdentifiers()) {
      return name.toUpperCase(Locale.ROOT);
    }
    if (md.storesLowerCaseIdentifiers()) {
      return name.toLowerCase(Locale.ROOT);
    }
    return name;
  }

  private record IndexInfo(List<String> columns, boolean unique) {
    boolean satisfies(Index wanted) {
      if (wanted.unique()) {
        return unique && Set.copyOf(columns).equals(Set.copyOf(wanted.columns()));
      }
      return columns.size() >= wanted.columns().size()
          && columns.subList(0, wanted.columns().size()).equals(wanted.columns());
    }
  }

  private record ColumnInfo(
      String name,
      int dataType,
      String typeName,
      int size,
      boolean nullable,
      String defaultValue,
      boolean autoIncrement,
      boolean generated) {

    static ColumnInfo read(ResultSet rs) throws SQLException {
      return new ColumnInfo(
          rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT),
          rs.getInt("DATA_TYPE"),
          String.valueOf(rs.getString("TYPE_NAME")).toLowerCase(Locale.ROOT),
          rs.getInt("COLUMN_SIZE"),
          rs.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls,
          rs.getString("COLUMN_DEF"),
          "YES".equalsIgnoreCase(rs.getString("IS_AUTOINCREMENT")),
          "YES".equalsIgnoreCase(rs.getString("IS_GENERATEDCOLUMN")));
    }

    /** What is wrong with this column for the spec, or null when it fits. */
    String mismatch(Column want, boolean mysql) {
      String found = "is " + typeName + (isText() && size > 0 ? "(" + size + ")" : "");
      if (!typeFits(want, mysql)) {
        return found;
      }
      if (want.fill() == Fill.IDENTITY && !autoIncrement) {
        return "is not an identity / auto-increment column";
      }
      if (want.fill() == Fill.GENERATED && !generated) {
        return "is not a generated column";
      }
      if (want.fill() == Fill.DEFAULT && !hasDefault() && !generated) {
        return "has no default";
      }
      if (want.fill() != Fill.GENERATED && want.fill() != Fill.IDENTITY) {
        if (want.nullable() && !nullable) {
          return "is NOT NULL but the code writes nulls";
        }
        if (!want.nullable() && nullable) {
          return "allows NULL";
        }
      }
      return null;
    }

    private boolean hasDefault() {
      return defaultValue != null
          && !defaultValue.isBlank()
          && !defaultValue.equalsIgnoreCase("null");
    }

    private boolean isText() {
      return switch (dataType) {
        case Types.CHAR,
            Types.VARCHAR,
            Types.LONGVARCHAR,
            Types.NCHAR,
            Types.NVARCHAR,
            Types.LONGNVARCHAR,
            Types.CLOB,
            Types.NCLOB ->
            true;
        default -> false;
      };
    }

    private int integerWidth() {
      return switch (dataType) {
        case Types.SMALLINT -> 16;
        case Types.INTEGER -> 32;
        case Types.BIGINT -> 64;
        default -> 0;
      };
    }

    private boolean typeFits(Column want, boolean mysql) {
      return switch (want.type()) {
        case SMALLINT -> integerWidth() >= 16;
        case INTEGER -> integerWidth() >= 32;
        case BIGINT -> integerWidth() >= 64;
        case TEXT -> isText() && (want.length() == 0 || size >= want.length());
        case BYTES ->
            switch (dataType) {
              case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB ->
                  !typeName.equals("uuid");
              default -> false;
            };
        case TIMESTAMP -> dataType == Types.TIMESTAMP || dataType == Types.TIMESTAMP_WITH_TIMEZONE;
        case UUID -> typeName.equals("uuid") || (mysql && isText() && size >= 36);
        case BOOLEAN ->
            dataType == Types.BOOLEAN || dataType == Types.BIT || dataType == Types.TINYINT;
      };
    }
  }
}
