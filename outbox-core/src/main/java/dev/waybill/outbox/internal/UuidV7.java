package dev.waybill.outbox.internal;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Generates RFC 9562 version 7 UUIDs: 48 bits of Unix milliseconds, then 12 bits that count up
 * within a millisecond (seeded at random each new millisecond), then 62 random bits. Ids from one
 * JVM are strictly increasing, also when the clock steps back (the last timestamp is kept). Not
 * API.
 */
public final class UuidV7 {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Object LOCK = new Object();
  private static long lastMillis = -1;
  private static int counter;

  private UuidV7() {}

  /** A new id, strictly greater than every id this JVM generated before. Thread-safe. */
  public static UUID next() {
    long millis;
    int seq;
    synchronized (LOCK) {
      long now = System.currentTimeMillis();
      if (now > lastMillis) {
        lastMillis = now;
        counter = RANDOM.nextInt(1 << 11); // leave room to count up within the millisecond
      } else if (++counter > 0xFFF) {
        lastMillis++; // counter exhausted or clock stepped back: borrow the next millisecond
        counter = 0;
      }
      millis = lastMillis;
      seq = counter;
    }
    long msb = (millis << 16) | 0x7000L | seq;
    long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }

  /** The Unix milliseconds stored in a version 7 id. */
  public static long millis(UUID id) {
    return id.getMostSignificantBits() >>> 16;
  }
}
