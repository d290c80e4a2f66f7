package io.dqengine.dedup;

import java.text.Normalizer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;

/**
 * near_dedup's shingles, MinHash signature and LSH band hashes of one document, in the JVM.
 *
 * <h2>Why it exists</h2>
 *
 * The reference is the numpy code in {@code dq_engine/dedup/shingles.py} and {@code minhash.py},
 * which runs over whole Arrow batches in Spark's Python workers. This class must return exactly the
 * values that code returns (the Python suite compares both on generated, multilingual and hostile
 * text), so band hashes written by either engine land in the same {@code silver.minhash_index}
 * buckets. It saves the trip of every text to a Python worker and back, and its inner loop (one
 * shingle against all permutations) is a straight loop over int arrays that the JIT vectorises.
 *
 * <h2>What it reproduces</h2>
 *
 * <ul>
 *   <li>normalization: NFKD (see shingles.py for why not NFKC), then the simple lower-case
 *       mapping per code point, then every run of
 *       code points outside the letter, mark and number categories becomes one space, trimmed;
 *   <li>units: words (runs between spaces) or, for {@code char} and for {@code auto} on a
 *       document whose non-space code points are more than 30% from no-space scripts, code points
 *       (spaces included); a unit's hash is a polynomial over its UTF-8 bytes, finalized with its
 *       byte length;
 *   <li>shingles: n consecutive units, a position-weighted sum of their hashes; a document of 1 to
 *       n-1 units is one salted shingle of all of them; no unit at all is {@code empty};
 *   <li>MinHash over the high 32 bits of each shingle, one seeded bijection per permutation; band
 *       hashes fold {@code rows} signature values with fixed odd multipliers and the band index.
 * </ul>
 *
 * The random constants (multipliers, permutations) come from the Python side in the constructor's
 * argument, so both engines use the same numbers by construction. All arithmetic wraps modulo
 * 2^64 or 2^32, as numpy's unsigned types do.
 *
 * <p>Two modes: {@code bands} returns {@code struct<status, shingle_count, bands>} and
 * {@code shingles} returns {@code array<bigint>} (the shingle hashes, in document order, repeats
 * kept).
 */
public final class MinHasher implements UDF1<String, Object> {
  private static final long serialVersionUID = 1L;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final String SHINGLED = "shingled";
  private static final String SHORT = "short";
  private static final String EMPTY = "empty";
  private static final double NO_SPACE_SHARE = 0.3;
  private static final int[][] NO_SPACE_RANGES = {
    {0x0E00, 0x0EFF}, {0x0F00, 0x0FFF}, {0x1000, 0x109F}, {0x1780, 0x17FF}, {0x3040, 0x30FF},
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x3FFFF}
  };

  private final boolean bandsMode;
  private final int unit; // 0 word, 1 char, 2 auto
  private final int wordNgram;
  private final int charNgram;
  private final long byteMult;
  private final long[] gramMult;
  private final long shortSalt;
  private final int[] permA;
  private final int[] permB;
  private final int bands;
  private final int rows;
  private final long[] bandMult;

  /**
   * @param config space-separated fields: mode ({@code bands} or {@code shingles}), unit ({@code
   *     word}, {@code char}, {@code auto}), word n, char n, the byte multiplier, the short-document
   *     salt, then {@code g=} followed by comma-separated gram multipliers, {@code a=} and {@code b=}
   *     with the permutations, and {@code bands=}, {@code rows=}, {@code m=} (band multipliers).
   *     Numbers are unsigned decimal.
   */
  public MinHasher(String config) {
    String[] f = config.trim().split(" ");
    if (f.length != 12) {
      throw new IllegalArgumentException("MinHasher: expected 12 fields, got " + f.length);
    }
    bandsMode = mode(f[0]);
    unit = unitCode(f[1]);
    wordNgram = Integer.parseInt(f[2]);
    charNgram = Integer.parseInt(f[3]);
    byteMult = Long.parseUnsignedLong(f[4]);
    shortSalt = Long.parseUnsignedLong(f[5]);
    gramMult = longs(field(f[6], "g="));
    long[] a = longs(field(f[7], "a="));
    long[] b = longs(field(f[8], "b="));
    if (a.length != b.length) {
      throw new IllegalArgumentException("MinHasher: a and b differ in length");
    }
    permA = new int[a.length];
    permB = new int[b.length];
    for (int i = 0; i < a.length; i++) {
      permA[i] = (int) a[i];
      permB[i] = (int) b[i];
    }
    bands = Integer.parseInt(field(f[9], "bands="));
    rows = Integer.parseInt(field(f[10], "rows="));
    bandMult = longs(field(f[11], "m="));
    if (Math.max(wordNgram, charNgram) > gramMult.length || wordNgram < 1 || charNgram < 1) {
      throw new IllegalArgumentException("MinHasher: n-gram size outside 1.." + gramMult.length);
    }
    if (bandsMode && (bands * rows > permA.length || bandMult.length != rows)) {
      throw new IllegalArgumentException("MinHasher: bands x rows does not fit the permutations");
    }
  }

  private static boolean mode(String s) {
    if ("bands".equals(s)) {
      return true;
    }
    if ("shingles".equals(s)) {
      return false;
    }
    throw new IllegalArgumentException("MinHasher: mode must be bands or shingles, not " + s);
  }

  private static int unitCode(String s) {
    switch (s) {
      case "word":
        return 0;
      case "char":
        return 1;
      case "auto":
        return 2;
      default:
        throw new IllegalArgumentException("MinHasher: unit must be word, char or auto, not " + s);
    }
  }

  private static String field(String s, String prefix) {
    if (!s.startsWith(prefix)) {
      throw new IllegalArgumentException("MinHasher: expected " + prefix + "...");
    }
    return s.substring(prefix.length());
  }

  private static long[] longs(String csv) {
    if (csv.isEmpty()) {
      return new long[0];
    }
    String[] parts = csv.split(",");
    long[] out = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Long.parseUnsignedLong(parts[i]);
    }
    return out;
  }

  // -- scratch, per thread (a UDF instance is shared by the tasks of one executor) -----------------
  private static final class Scratch {
    int[] cps = new int[256];
    long[] units = new long[256];
    long[] shingles = new long[256];
    int[] sig = new int[0];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  static long splitmix64(long x) {
    x ^= x >>> 30;
    x *= 0xBF58476D1CE4E5B9L;
    x ^= x >>> 27;
    x *= 0x94D049BB133111EBL;
    x ^= x >>> 31;
    return x;
  }

  private static boolean isWordCodePoint(int cp) {
    switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER:
      case Character.LOWERCASE_LETTER:
      case Character.TITLECASE_LETTER:
      case Character.MODIFIER_LETTER:
      case Character.OTHER_LETTER:
      case Character.NON_SPACING_MARK:
      case Character.ENCLOSING_MARK:
      case Character.COMBINING_SPACING_MARK:
      case Character.DECIMAL_DIGIT_NUMBER:
      case Character.LETTER_NUMBER:
      case Character.OTHER_NUMBER:
        return true;
      default:
        return false;
    }
  }

  private static boolean noSpaceScript(int cp) {
    for (int[] r : NO_SPACE_RANGES) {
      if (cp >= r[0] && cp <= r[1]) {
        return true;
      }
    }
    return false;
  }

  /** Normalized code points of {@code text} into {@code s.cps}; returns their count. */
  private static int normalize(String text, Scratch s) {
    // ASCII text is its own NFKD form: skip the normalizer's allocation for it
    String nfkd = isAscii(text) ? text : Normalizer.normalize(text, Normalizer.Form.NFKD);
    if (s.cps.length < nfkd.length()) {
      s.cps = new int[nfkd.length()];
    }
    int[] cps = s.cps;
    int n = 0;
    boolean pendingSpace = false;
    for (int i = 0; i < nfkd.length(); ) {
      int cp = nfkd.codePointAt(i);
      i += Character.charCount(cp);
      int lower;
      boolean word;
      if (cp < 0x80) {
        lower = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        word = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
      } else {
        lower = Character.toLowerCase(cp);
        word = isWordCodePoint(lower);
      }
      if (word) {
        if (pendingSpace && n > 0) {
          cps[n++] = ' ';
        }
        pendingSpace = false;
        cps[n++] = lower;
      } else {
        pendingSpace = true;
      }
    }
    return n;
  }

  private static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private boolean charUnits(int[] cps, int n) {
    if (unit != 2) {
      return unit == 1;
    }
    int letters = 0;
    int noSpace = 0;
    for (int i = 0; i < n; i++) {
      int cp = cps[i];
      if (cp != ' ') {
        letters++;
        if (cp >= 0x0E00 && noSpaceScript(cp)) {
          noSpace++;
        }
      }
    }
    return noSpace > NO_SPACE_SHARE * Math.max(letters, 1);
  }

  /** Polynomial hash of the UTF-8 bytes of {@code cps[from:to]}, finalized with their length. */
  private long unitHash(int[] cps, int from, int to) {
    long raw = 0;
    long power = 1;
    long length = 0;
    for (int i = from; i < to; i++) {
      int cp = cps[i];
      if (cp < 0x80) {
        raw += cp * power;
        power *= byteMult;
        length += 1;
        continue;
      }
      // UTF-8: a lead byte, then `continuation` bytes of 6 bits each, most significant first
      int continuation = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
      int lead = cp < 0x800 ? 0xC0 : cp < 0x10000 ? 0xE0 : 0xF0;
      raw += (lead | (cp >>> (6 * continuation))) * power;
      power *= byteMult;
      for (int k = continuation - 1; k >= 0; k--) {
        raw += (0x80 | ((cp >>> (6 * k)) & 0x3F)) * power;
        power *= byteMult;
      }
      length += continuation + 1;
    }
    return splitmix64(raw ^ (length * GOLDEN));
  }

  /** Unit hashes of the normalized text into {@code s.units}; returns their count. */
  private int units(int[] cps, int n, boolean chars, Scratch s) {
    if (s.units.length < n) {
      s.units = new long[n];
    }
    long[] units = s.units;
    int count = 0;
    if (chars) {
      for (int i = 0; i < n; i++) {
        units[count++] = unitHash(cps, i, i + 1);
      }
      return count;
    }
    int start = 0;
    for (int i = 0; i <= n; i++) {
      if (i == n || cps[i] == ' ') {
        if (i > start) {
          units[count++] = unitHash(cps, start, i);
        }
        start = i + 1;
      }
    }
    return count;
  }

  /** Shingle hashes into {@code s.shingles}; returns their count (0 for an empty document). */
  private int shingles(long[] units, int count, int ngram, Scratch s) {
    if (count == 0) {
      return 0;
    }
    if (count < ngram) {
      long sum = 0;
      for (int i = 0; i < count; i++) {
        sum += units[i] * gramMult[i];
      }
      s.shingles[0] = splitmix64(sum ^ shortSalt);
      return 1;
    }
    int windows = count - ngram + 1;
    if (s.shingles.length < windows) {
      s.shingles = new long[windows];
    }
    long[] out = s.shingles;
    for (int i = 0; i < windows; i++) {
      long gram = 0;
      for (int k = 0; k < ngram; k++) {
        gram += units[i + k] * gramMult[k];
      }
      out[i] = splitmix64(gram);
    }
    return windows;
  }

  @Override
  public Object call(String text) {
    Scratch s = SCRATCH.get();
    int n = normalize(text == null ? "" : text, s);
    boolean chars = charUnits(s.cps, n);
    int count = units(s.cps, n, chars, s);
    int ngram = chars ? charNgram : wordNgram;
    int shingleCount = shingles(s.units, count, ngram, s);
    if (!bandsMode) {
      Long[] out = new Long[shingleCount];
      for (int i = 0; i < shingleCount; i++) {
        out[i] = s.shingles[i];
      }
      return out;
    }
    String status = count == 0 ? EMPTY : count < ngram ? SHORT : SHINGLED;
    if (shingleCount == 0) {
      return RowFactory.create(status, 0, null);
    }
    return RowFactory.create(status, shingleCount, bandHashes(signature(s.shingles, shingleCount, s)));
  }

  /**
   * MinHash signature, stored with the sign bit flipped so that a signed {@code Math.min} is the
   * unsigned minimum (a form the JIT turns into vector instructions).
   */
  private int[] signature(long[] shingles, int count, Scratch s) {
    int perms = permA.length;
    if (s.sig.length != perms) {
      s.sig = new int[perms];
    }
    int[] sig = s.sig;
    java.util.Arrays.fill(sig, Integer.MAX_VALUE); // 0xFFFFFFFF, sign-flipped
    int[] a = permA;
    int[] b = permB;
    for (int j = 0; j < count; j++) {
      int h = (int) (shingles[j] >>> 32);
      for (int k = 0; k < perms; k++) {
        int x = a[k] * h + b[k];
        x ^= x >>> 15;
        x *= 0x2C1B3C6D;
        x ^= x >>> 13;
        sig[k] = Math.min(sig[k], x ^ Integer.MIN_VALUE);
      }
    }
    return sig;
  }

  private Long[] bandHashes(int[] sig) {
    Long[] out = new Long[bands];
    for (int band = 0; band < bands; band++) {
      long folded = 0;
      for (int r = 0; r < rows; r++) {
        long value = (sig[band * rows + r] ^ Integer.MIN_VALUE) & 0xFFFFFFFFL;
        folded += value * bandMult[r];
      }
      folded ^= (band + 1L) * GOLDEN;
      folded ^= folded >>> 31;
      folded *= 0xBF58476D1CE4E5B9L;
      folded ^= folded >>> 29;
      out[band] = folded;
    }
    return out;
  }
}
