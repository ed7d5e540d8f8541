package dev.waybill.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.spring.internal.ConfigurationMetadata;
import dev.waybill.spring.internal.PropertyNames;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The shipped Spring configuration metadata is the one generated from the setting declarations.
 * When a declaration changes, this test fails and writes the new file to {@code target/}; copy it
 * to {@code src/main/resources/META-INF/}.
 */
class ConfigurationMetadataTest {

  @Test
  void theShippedMetadataIsGeneratedFromTheSettingDeclarations() throws Exception {
    String expected = ConfigurationMetadata.json();
    // the module's own file (Spring Boot's jars ship one of the same name on the class path)
    Path source = Path.of("src", "main", "resources", ConfigurationMetadata.RESOURCE);
    String shipped = Files.exists(source) ? Files.readString(source) : "";
    if (!shipped.equals(expected)) {
      Path fresh = Path.of("target", "spring-configuration-metadata.json");
      Files.writeString(fresh, expected);
      assertThat(shipped)
          .as(
              "src/main/resources/%s differs from the setting declarations: copy %s over it",
              ConfigurationMetadata.RESOURCE, fresh.toAbsolutePath())
          .isEqualTo(expected);
    }
  }

  @Test
  void namesEveryRelaySettingUnderItsSpringName() {
    assertThat(ConfigurationMetadata.json())
        .contains("\"name\": \"waybill.relay.batch-size\"")
        .contains("\"defaultValue\": 1000")
        .contains("\"name\": \"" + PropertyNames.springName("kafka.bootstrap.servers") + "\"")
        .contains("\"name\": \"waybill.schema.mode\"")
        .doesNotContain("waybill.db.")
        .doesNotContain("waybill.http.");
  }
}
