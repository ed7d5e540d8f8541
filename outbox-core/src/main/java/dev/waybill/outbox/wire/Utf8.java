package dev.waybill.outbox.wire;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * UTF-8 text in Kafka headers, read strictly and written within a byte budget. A header value that
 * is not valid UTF-8 is refused rather than decoded to U+FFFD (two different malformed values would
 * otherwise become the same text), and text written into a header is cut on a character boundary so
 * it never exceeds its budget in bytes. Thread-safe (stateless).
 */
public final class Utf8 {
  private Utf8() {}

  /**
   * Decodes bytes as UTF-8, refusing malformed input.
   *
   * @param bytes the raw bytes
   * @return the text, or empty when the bytes are not valid UTF-8
   */
  public static Optional<String> decodeStrict(byte[] bytes) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /**
   * Encodes text as UTF-8 in at most {@code maxBytes} bytes: unchanged when it fits, else its
   * longest prefix that fits together with a note such as {@code "... (20480 bytes)"}, cut between
   * characters (never inside a surrogate pair). Unpaired surrogates are encoded as {@code ?}.
   *
   * @param text the text
   * @param maxBytes the budget, at least 64
   * @return the encoded bytes, never more than {@code maxBytes}
   * @throws IllegalArgumentException when the budget is below 64 bytes
   */
  public static byte[] encodeWithin(String text, int maxBytes) {
    if (maxBytes < 64) {
      throw new IllegalArgumentException("byte budget " + maxBytes + " is below 64");
    }
    byte[] all = text.getBytes(StandardCharsets.UTF_8);
    if (all.length <= maxBytes) {
      return all;
    }
    byte[] note = ("... (" + all.length + " bytes)").getBytes(StandardCharsets.UTF_8);
    int room = maxBytes - note.length;
    int end = 0;
    int bytes = 0;
    while (end < text.length()) {
      int cp = text.codePointAt(end);
      int n = encodedLength(cp);
      if (bytes + n > room) {
        break;
      }
      bytes += n;
      end += Character.charCount(cp);
    }
    byte[] head = text.substring(0, end).getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[head.length + note.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(note, 0, out, head.length, note.length);
    return out;
  }

  /** Bytes of one code point as {@link String#getBytes} encodes it (an unpaired surrogate: ?). */
  private static int encodedLength(int cp) {
    if (cp < 0x80) {
      return 1;
    }
    if (cp < 0x800) {
      return 2;
    }
    if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
      return 1;
    }
    return cp < 0x10000 ? 3 : 4;
  }
}
