package dev.waybill.outbox.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/security.md and the shipped grants scripts ({@code db/waybill/grants/<dialect>/*.sql},
 * which the least-privilege tests grant) the same text: each script is quoted whole, under its
 * path.
 */
class GrantsDocTest {
  static final Path GRANTS = Path.of("src", "main", "resources", "db", "waybill", "grants");

  @Test
  void docsSecurityQuotesEveryGrantsScriptWordForWord() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "security.md"));
    List<Path> scripts;
    try (Stream<Path> files = Files.walk(GRANTS)) {
      scripts = files.filter(p -> p.toString().endsWith(".sql")).sorted().toList();
    }
    assertThat(scripts).hasSizeGreaterThanOrEqualTo(10);
    for (Path script : scripts) {
      String name = "db/waybill/grants/" + GRANTS.relativize(script).toString().replace('\\', '/');
      String quoted = "`" + name + "`:\n\n```sql\n" + Files.readString(script) + "```\n";
      assertThat(doc).as("docs/security.md quotes %s as it is", name).contains(quoted);
    }
  }
}
