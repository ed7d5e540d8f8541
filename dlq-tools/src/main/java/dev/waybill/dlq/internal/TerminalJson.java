package dev.waybill.dlq.internal;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.waybill.outbox.internal.SafeText;

/**
 * JSON for the tool's output: every character {@link SafeText#isUnsafe} names (C0 and C1 controls,
 * DEL, bidirectional controls) is written as a {@code \\u} escape, so the JSON stays valid and
 * keeps the exact text for {@code jq}, while a terminal showing it has nothing to act on. Not API.
 */
public final class TerminalJson extends CharacterEscapes {
  private static final long serialVersionUID = 1L;

  private final int[] ascii;

  private TerminalJson() {
    ascii = standardAsciiEscapesForJSON();
    ascii[0x7f] = ESCAPE_STANDARD;
  }

  /** An object mapper writing such JSON, indented when {@code pretty}. */
  public static ObjectMapper mapper(boolean pretty) {
    ObjectMapper m = new ObjectMapper();
    m.getFactory().setCharacterEscapes(new TerminalJson());
    return pretty ? m.enable(SerializationFeature.INDENT_OUTPUT) : m;
  }

  @Override
  public int[] getEscapeCodesForAscii() {
    return ascii;
  }

  @Override
  public SerializableString getEscapeSequence(int ch) {
    if (ch > 0xffff || !SafeText.isUnsafe((char) ch)) {
      return null;
    }
    return new SerializedString(String.format("\\u%04x", ch));
  }
}
