package dev.waybill.outbox.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.ExternalMigrations;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Flyway and Liquibase examples of docs/schema.md are the ones that work. */
class SchemaDocTest {
  static final Path DOC = Path.of("..", "docs", "schema.md");

  private static String block(String doc, String fence) {
    Matcher m = Pattern.compile("```" + fence + "\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertThat(m.find()).as("docs/schema.md has a ```%s block", fence).isTrue();
    return m.group(1);
  }

  @Test
  void thePlaceholderTableListsEveryPlaceholderWithItsDefault() throws Exception {
    String doc = Files.readString(DOC);
    Map<String, String> documented = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(?m)^\\| `([a-z_]+)` \\| `([a-z_]+)` \\|").matcher(doc);
    while (m.find()) {
      documented.put(m.group(1), m.group(2));
    }
    assertThat(documented).isEqualTo(SchemaScripts.placeholders(TableNames.defaults()));
  }

  @Test
  void theFlywayPropertiesNameTheLocationsAndEveryPlaceholder() throws Exception {
    Properties p = new Properties();
    p.load(new StringReader(block(Files.readString(DOC), "properties")));
    assertThat(p.getProperty("flyway.table")).isEqualTo(SchemaScripts.FLYWAY_TABLE);
    assertThat(List.of(p.getProperty("flyway.locations").split(",")))
        .isEqualTo(SchemaScripts.flywayLocations(Dialect.postgres()));
    Map<String, String> placeholders = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith("flyway.placeholders.")) {
        placeholders.put(key.substring("flyway.placeholders.".length()), p.getProperty(key));
      }
    }
    assertThat(placeholders).isEqualTo(SchemaScripts.placeholders(TableNames.defaults()));
  }

  @Test
  void theLiquibaseChangelogOfTheDocsCreatesTheTables() throws Exception {
    Path changelog = Path.of("target", "test-classes", "docs-schema-changelog.xml");
    Files.writeString(changelog, block(Files.readString(DOC), "xml"));
    try (TestDatabase db = TestDatabases.h2()) {
      ExternalMigrations.liquibase(db.dataSource(), "docs-schema-changelog.xml", Map.of());
      for (SchemaComponent c : List.of(SchemaComponent.outbox(), SchemaComponent.inbox())) {
        assertThat(SchemaCheck.problems(db.dataSource(), Dialect.h2(), TableNames.defaults(), c))
            .isEmpty();
      }
    }
  }
}
