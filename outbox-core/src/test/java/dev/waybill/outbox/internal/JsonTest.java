package dev.waybill.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.InvalidMessageException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void acceptsWellFormedDocuments() {
    for (String ok :
        new String[] {
          "{}",
          "[]",
          "0",
          "-1.5e+3",
          "\"x\"",
          "true",
          "null",
          " {\"a\": [1, 2, {\"b\": null}], \"c\": \"\\u00e9\\n\"} "
        }) {
      assertThatCode(() -> Json.requireWellFormed(ok, "payload")).doesNotThrowAnyException();
    }
  }

  @Test
  void rejectsMalformedDocumentsNamingTheFieldAndOffset() {
    String[][] cases = {
      {"", "expected a JSON value at offset 0"},
      {"{", "expected '\"' at offset 1"},
      {"[1,]", "expected a JSON value at offset 3"},
      {"01", "unexpected text after the JSON value at offset 1"},
      {"\"a", "unterminated string at offset 2"},
      {"{\"a\" 1}", "expected ':' at offset 5"},
      {"tru", "expected 'true' at offset 0"},
      {"\"\\x\"", "invalid escape '\\x' at offset 2"}
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> Json.requireWellFormed(c[0], "payload"))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage("payload is not well-formed JSON: " + c[1]);
    }
  }

  @Test
  void headerObjectsRoundTripWithEscapes() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("tenant", "acme");
    h.put("quote\"back\\slash", "line\nbreak\ttab\u0001");
    String json = Json.encodeObject(h);
    assertThat(json)
        .isEqualTo(
            "{\"tenant\":\"acme\",\"quote\\\"back\\\\slash\":\"line\\nbreak\\ttab\\u0001\"}");
    assertThat(Json.decodeObject(json)).containsExactlyEntriesOf(h);
    assertThat(Json.decodeObject(" { } ")).isEmpty();
  }

  @Test
  void headerObjectsMustHaveStringValues() {
    assertThatThrownBy(() -> Json.decodeObject("{\"a\":1}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header 'a' must have a string value at offset 5");
  }

  @Test
  void parsesObjectsIntoTypedValues() {
    Map<String, Object> m =
        Json.parseObject(
            "{\"v\":1,\"s\":\"a\\u00e9\",\"h\":{\"k\":\"x\"},\"b\":true,\"n\":null,\"l\":[1]}");
    assertThat(m).containsEntry("v", 1.0).containsEntry("s", "a\u00e9").containsEntry("b", true);
    assertThat(m).containsKey("n").containsEntry("h", Map.of("k", "x"));
    assertThat(m.get("l")).isEqualTo(java.util.List.of(1.0));
    assertThatThrownBy(() -> Json.parseObject("[1]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected '{' at offset 0");
    assertThatThrownBy(() -> Json.parseObject("{\"a\":1} x"))
        .hasMessage("unexpected text after the JSON object at offset 8");
  }
}
