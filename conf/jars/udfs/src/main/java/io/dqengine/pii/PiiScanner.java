package io.dqengine.pii;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The structured PII findings of one document: every detector's regex, its validator and the
 * overlap resolution, in one call.
 *
 * <h2>Why it exists</h2>
 *
 * {@code dq_engine/pii/detectors.py} defines the detectors (Java regexes and gates) and
 * {@code dq_engine/pii/validators.py} the validators as Spark SQL expressions; that path stays the
 * reference. Written as SQL it needs, per detector, an {@code rlike}, a {@code regexp_replace} that
 * marks each match, a {@code split} and {@code transform}s to recover offsets, and per validator a
 * dozen string expressions; planning that tree costs seconds per query and evaluating it reads each
 * document several times per detector. Here each detector runs its gate and one {@code find()} loop
 * and the validators are plain Java. The Python suite holds both paths to exact equality.
 *
 * <h2>Definitions it reproduces</h2>
 *
 * <ul>
 *   <li>Matching runs on a copy of the text whose U+0001 and U+0002 (the SQL path's marker
 *       characters) are spaces; the gate and the "any match" test read the text as given.
 *   <li>A pattern with the named groups {@code ctx} and {@code pii} reports only {@code pii}.
 *   <li>Offsets are 0-based code points, end exclusive (Spark's {@code length}/{@code substring}).
 *   <li>Resolution: findings sorted by start, then detector order, then longer first; a finding is
 *       kept when it starts at or after the end of the last kept one.
 * </ul>
 *
 * <p>Configuration is fixed per instance (see {@link #PiiScanner(String)}); the Python side
 * registers one instance per configuration.
 */
public final class PiiScanner implements UDF1<String, Row[]> {
  private static final long serialVersionUID = 1L;

  private static final Row[] NONE = new Row[0];
  private static final char OPEN = '\u0001';
  private static final char CLOSE = '\u0002';

  private static final Map<String, Integer> IBAN_LENGTHS = new HashMap<>();

  static {
    String[] lengths = {
      "AD24", "AE23", "AT20", "BA20", "BE16", "BG22", "BH22", "BR29", "CH21", "CR22", "CY28",
      "CZ24", "DE22", "DK18", "DO28", "EE20", "EG29", "ES24", "FI18", "FO18", "FR27", "GB22",
      "GE22", "GI23", "GL18", "GR27", "GT28", "HR21", "HU28", "IE22", "IL23", "IS26", "IT27",
      "JO30", "KW30", "KZ20", "LB28", "LI21", "LT20", "LU20", "LV21", "MC27", "MD24", "ME22",
      "MK19", "MR27", "MT31", "MU30", "NL18", "NO15", "PK24", "PL28", "PS29", "PT25", "QA29",
      "RO24", "RS22", "SA24", "SE24", "SI19", "SK24", "SM27", "TN24", "TR26", "UA29", "VG24",
      "XK20"
    };
    for (String e : lengths) {
      IBAN_LENGTHS.put(e.substring(0, 2), Integer.valueOf(e.substring(2)));
    }
  }

  private static final Pattern CARD_PREFIX = Pattern.compile("^(4|5[1-5]|2[2-7]|3[047]|3[5-8]|6)");
  private static final Pattern IBAN_SHAPE = Pattern.compile("^[A-Z]{2}[0-9]{2}[A-Z0-9]+$");
  private static final Pattern LETTER = Pattern.compile("[A-Za-z]");
  private static final Pattern DIGIT = Pattern.compile("[0-9]");
  private static final Pattern BIRTH_CENTURY = Pattern.compile("(19|20)\\d\\d");
  private static final Pattern BIRTH_SHORT_YEAR = Pattern.compile("[./-]\\d\\d$");
  private static final String LUHN_DOUBLED = "0246813579";
  // Spark's log2 is StrictMath.log(x) / StrictMath.log(2); the same operations give the same doubles
  private static final double LN2 = StrictMath.log(2);

  private final String config;
  private final boolean resolve;
  private transient volatile Detector[] detectors;
  private transient long[] charTable;
  private transient int[] notAfterTable;

  // Candidate filtering: bit k of a position's mask is detector k (so at most 31 are filtered; more
  // run gate + find() loops), bit 31 of a character-table entry marks it computed. Documents longer
  // than MAX_FILTERED_LENGTH also run gate + find() loops, so the per-thread scratch stays bounded.
  private static final int MAX_FILTERED_DETECTORS = 31;
  private static final long COMPUTED = 1L << 31;
  private static final int MAX_FILTERED_LENGTH = 1 << 20;
  private static final ThreadLocal<int[]> SCRATCH = ThreadLocal.withInitial(() -> new int[4096]);
  // per configuration, the entry (charEntry) of every UTF-16 unit, filled lazily (0 = not yet
  // computed; concurrent fillers write the same value)
  private static final java.util.concurrent.ConcurrentHashMap<String, long[]> CHAR_TABLES =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final class Detector {
    final String name;
    final String type;
    final Pattern pattern;
    final Pattern gate;
    final boolean hasPiiGroup;
    final String validator;
    final int low;
    final int high;
    final int rank;
    final Pattern starts;
    final boolean[] asciiNotAfter;
    final Pattern needs;
    final String[] anchors;

    Detector(String[] f, int rank) {
      this.name = f[0];
      this.type = f[1];
      this.pattern = Pattern.compile(f[2]);
      this.gate = f[3].isEmpty() ? null : Pattern.compile(f[3]);
      this.hasPiiGroup = f[2].contains("(?<pii>");
      String v = f[4];
      int low = 0;
      int high = 0;
      if (v.startsWith("digits:")) {
        String[] bounds = v.substring("digits:".length()).split("-", -1);
        low = Integer.parseInt(bounds[0]);
        high = Integer.parseInt(bounds[1]);
        v = "digits";
      }
      this.validator = v;
      this.low = low;
      this.high = high;
      this.rank = rank;
      this.starts = f[5].isEmpty() ? null : Pattern.compile(f[5]);
      this.needs = f[7].isEmpty() ? null : Pattern.compile(f[7]);
      this.anchors = f[8].isEmpty() ? null : f[8].split("\u001d", -1);
      if (f[6].isEmpty()) {
        this.asciiNotAfter = null;
      } else {
        Pattern notAfter = Pattern.compile(f[6]);
        this.asciiNotAfter = new boolean[128];
        for (char c = 0; c < 128; c++) {
          asciiNotAfter[c] = notAfter.matcher(String.valueOf(c)).matches();
        }
      }
    }
  }

  private static final class Finding {
    final Detector detector;
    final int start;
    final int end;
    final String value;

    Finding(Detector detector, int start, int end, String value) {
      this.detector = detector;
      this.start = start;
      this.end = end;
      this.value = value;
    }
  }

  private static final Comparator<Finding> ORDER =
      new Comparator<Finding>() {
        @Override
        public int compare(Finding a, Finding b) {
          if (a.start != b.start) {
            return a.start < b.start ? -1 : 1;
          }
          if (a.detector.rank != b.detector.rank) {
            return a.detector.rank < b.detector.rank ? -1 : 1;
          }
          return Integer.compare(b.end, a.end);
        }
      };

  /**
   * @param config the resolve flag ({@code 1}: sorted, overlaps dropped; {@code 0}: every
   *     validated match, unsorted, for a caller that merges more findings first), then one record
   *     per detector, records separated by U+001E and fields by U+001F: name, type code, pattern,
   *     gate (empty: none), validator ({@code -}, {@code card}, {@code iban}, {@code secret},
   *     {@code ipv6}, {@code international_phone}, {@code birth_year} or {@code digits:LOW-HIGH}),
   *     start class (empty: a match may start anywhere), not-after class (ASCII; empty: none), needs
   *     class (empty: none), anchors (lower-case literals separated by U+001D; empty: none). The
   *     gate is not used here: it only spares the SQL engine work, and these are cheaper necessary
   *     conditions (see {@link #call}).
   */
  public PiiScanner(String config) {
    this.config = config;
    this.resolve = config.startsWith("1");
    this.detectors = parse(config);
  }

  private static Detector[] parse(String config) {
    String[] records = config.split("\u001e", -1);
    Detector[] out = new Detector[records.length - 1];
    for (int i = 1; i < records.length; i++) {
      String[] f = records[i].split("\u001f", -1);
      if (f.length != 9) {
        throw new IllegalArgumentException("detector record " + i + " has " + f.length + " fields");
      }
      out[i - 1] = new Detector(f, i - 1);
      if (!isKnownValidator(out[i - 1].validator)) {
        throw new IllegalArgumentException("unknown validator " + f[4]);
      }
    }
    return out;
  }

  // Only the configuration string travels to the executors; each rebuilds (compiles) its detectors
  // once per deserialized instance.
  private Detector[] detectors() {
    Detector[] d = detectors;
    if (d == null) {
      d = parse(config);
      detectors = d;
    }
    return d;
  }

  /** The detector names in order, comma-separated (the Python side checks them). */
  public String detectorNames() {
    StringBuilder out = new StringBuilder();
    for (Detector d : detectors()) {
      out.append(out.length() == 0 ? "" : ",").append(d.name);
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "PiiScanner(" + config.hashCode() + ")";
  }

  @Override
  public Row[] call(String text) {
    if (text == null) {
      return NONE;
    }
    Detector[] all = detectors();
    boolean hasMarkers = text.indexOf(OPEN) >= 0 || text.indexOf(CLOSE) >= 0;
    String safe = hasMarkers ? text.replace(OPEN, ' ').replace(CLOSE, ' ') : text;
    boolean bmpOnly = !hasSurrogates(text);
    int n = safe.length();
    // One pass over the characters marks, per position, the detectors whose match could start there
    // (first character in their start class, previous character outside their not-after class) and
    // which detectors' needed characters occur at all. A regex then tries only those positions:
    // letting Matcher.find() try every position costs tens of nanoseconds each.
    int[] candidates = null;
    int any = ~0;
    int needed = ~0;
    if (n <= MAX_FILTERED_LENGTH) {
      candidates = SCRATCH.get();
      if (candidates.length < n) {
        candidates = new int[Math.max(n, candidates.length * 2)];
        SCRATCH.set(candidates);
      }
      long[] table = charTable();
      int[] blocked = notAfterTable(all);
      any = 0;
      long needs = 0;
      char prev = 0;
      for (int i = 0; i < n; i++) {
        char c = safe.charAt(i);
        long entry = table[c];
        if (entry == 0) {
          entry = charEntry(c, all);
          table[c] = entry;
        }
        int m = (int) (entry & ~COMPUTED);
        if (i > 0 && prev < 128) {
          m &= ~blocked[prev];
        }
        candidates[i] = m;
        any |= m;
        needs |= entry;
        prev = c;
      }
      needed = (int) (needs >>> 32);
    }
    List<Finding> found = new ArrayList<>();
    String lowered = null;
    for (int k = 0; k < all.length; k++) {
      Detector d = all[k];
      boolean filtered = candidates != null && isFiltered(d, k);
      if (filtered && ((any & (1 << k)) == 0 || (d.needs != null && (needed & (1 << k)) == 0))) {
        continue;
      }
      if (filtered && d.anchors != null) {
        if (lowered == null) {
          lowered = asciiLower(safe);
        }
        if (!containsAny(lowered, d.anchors)) {
          continue;
        }
      }
      if (!filtered && d.gate != null && !d.gate.matcher(text).find()) {
        continue;
      }
      if (hasMarkers && !d.pattern.matcher(text).find()) {
        continue;
      }
      if (filtered) {
        scanCandidates(d, 1 << k, safe, candidates, bmpOnly, found);
      } else {
        scan(d, safe, bmpOnly, found);
      }
    }
    if (found.isEmpty()) {
      return NONE;
    }
    List<Finding> out = found;
    if (resolve) {
      Finding[] sorted = found.toArray(new Finding[0]);
      Arrays.sort(sorted, ORDER);
      out = new ArrayList<>(sorted.length);
      int lastEnd = -1;
      for (Finding f : sorted) {
        if (f.start >= lastEnd) {
          out.add(f);
          lastEnd = f.end;
        }
      }
    }
    Row[] rows = new Row[out.size()];
    for (int i = 0; i < rows.length; i++) {
      Finding f = out.get(i);
      rows[i] =
          RowFactory.create(
              f.detector.type,
              Integer.valueOf(f.start),
              Integer.valueOf(f.end),
              f.detector.name,
              f.value);
    }
    return rows;
  }

  private static String asciiLower(String s) {
    char[] out = s.toCharArray();
    for (int i = 0; i < out.length; i++) {
      char c = out[i];
      if (c >= 'A' && c <= 'Z') {
        out[i] = (char) (c + ('a' - 'A'));
      }
    }
    return new String(out);
  }

  private static boolean containsAny(String text, String[] literals) {
    for (String literal : literals) {
      if (text.indexOf(literal) >= 0) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasSurrogates(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isFiltered(Detector d, int index) {
    return d.starts != null && index < MAX_FILTERED_DETECTORS;
  }

  private long[] charTable() {
    long[] t = charTable;
    if (t == null) {
      t = CHAR_TABLES.computeIfAbsent(config, k -> new long[Character.MAX_VALUE + 1]);
      charTable = t;
    }
    return t;
  }

  private int[] notAfterTable(Detector[] all) {
    int[] t = notAfterTable;
    if (t == null) {
      t = new int[128];
      for (int k = 0; k < all.length; k++) {
        if (isFiltered(all[k], k) && all[k].asciiNotAfter != null) {
          for (int c = 0; c < 128; c++) {
            if (all[k].asciiNotAfter[c]) {
              t[c] |= 1 << k;
            }
          }
        }
      }
      notAfterTable = t;
    }
    return t;
  }

  /**
   * The table entry of one UTF-16 unit: bit k (k < 31) when detector k's start class holds it, bit
   * 32 + k when its needs class does, and a marker bit so that 0 means "not computed". A surrogate
   * counts as every class (it may be half of any supplementary character).
   */
  private static long charEntry(char c, Detector[] all) {
    long entry = COMPUTED;
    String one = String.valueOf(c);
    boolean surrogate = Character.isSurrogate(c);
    for (int k = 0; k < all.length; k++) {
      Detector d = all[k];
      if (!isFiltered(d, k)) {
        continue;
      }
      if (surrogate || d.starts.matcher(one).matches()) {
        entry |= 1L << k;
      }
      if (d.needs != null && (surrogate || d.needs.matcher(one).matches())) {
        entry |= 1L << (32 + k);
      }
    }
    return entry;
  }

  /** Code-point offsets, counted forward from the previous match of the same detector. */
  private static final class Offsets {
    private final String text;
    private final boolean bmpOnly;
    private int lastChar;
    private int lastCp;

    Offsets(String text, boolean bmpOnly) {
      this.text = text;
      this.bmpOnly = bmpOnly;
    }

    int start(int s) {
      if (bmpOnly) {
        return s;
      }
      int cp = lastCp + text.codePointCount(lastChar, s);
      lastChar = s;
      lastCp = cp;
      return cp;
    }

    int length(int s, int e) {
      return bmpOnly ? e - s : text.codePointCount(s, e);
    }
  }

  private void record(Detector d, Matcher m, String safe, Offsets offsets, List<Finding> found) {
    int s = d.hasPiiGroup ? m.start("pii") : m.start();
    int e = d.hasPiiGroup ? m.end("pii") : m.end();
    String value = safe.substring(s, e);
    if (valid(d, value)) {
      int start = offsets.start(s);
      found.add(new Finding(d, start, start + offsets.length(s, e), value));
    }
  }

  private void scan(Detector d, String safe, boolean bmpOnly, List<Finding> found) {
    Matcher m = d.pattern.matcher(safe);
    Offsets offsets = new Offsets(safe, bmpOnly);
    while (m.find()) {
      record(d, m, safe, offsets, found);
    }
  }

  /**
   * The matches {@code find()} would return, tried only at candidate positions: {@code lookingAt}
   * over a region from the candidate to the end, with transparent bounds so lookbehinds still see
   * the text before it. {@code find()} tries the positions left to right with the same attempt at
   * each, so the first success after the previous match is the same match.
   */
  private void scanCandidates(
      Detector d, int bit, String safe, int[] candidates, boolean bmpOnly, List<Finding> found) {
    Matcher m = d.pattern.matcher(safe);
    m.useTransparentBounds(true);
    m.useAnchoringBounds(false);
    Offsets offsets = new Offsets(safe, bmpOnly);
    int n = safe.length();
    int next = 0;
    for (int i = 0; i < n; i++) {
      if ((candidates[i] & bit) == 0 || i < next) {
        continue;
      }
      m.region(i, n);
      if (m.lookingAt()) {
        record(d, m, safe, offsets, found);
        next = Math.max(m.end(), i + 1);
      }
    }
  }

  private static boolean isKnownValidator(String v) {
    switch (v) {
      case "-":
      case "card":
      case "iban":
      case "secret":
      case "ipv6":
      case "international_phone":
      case "birth_year":
      case "digits":
        return true;
      default:
        return false;
    }
  }

  private static boolean valid(Detector d, String value) {
    switch (d.validator) {
      case "-":
        return true;
      case "card":
        return cardValid(value);
      case "iban":
        return ibanValid(value);
      case "secret":
        return secretValid(value);
      case "ipv6":
        return ipv6Valid(value);
      case "international_phone":
        return internationalPhoneValid(value);
      case "birth_year":
        return BIRTH_CENTURY.matcher(value).find() || BIRTH_SHORT_YEAR.matcher(value).find();
      case "digits":
        int n = asciiDigits(value).length();
        return n >= d.low && n <= d.high;
      default:
        throw new IllegalStateException("unknown validator " + d.validator);
    }
  }

  static String asciiDigits(String value) {
    StringBuilder out = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= '0' && c <= '9') {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Luhn over the ASCII digits of {@code value}: false when there are none. */
  static boolean luhnValid(String value) {
    String d = asciiDigits(value);
    if (d.isEmpty()) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < d.length(); i++) {
      int digit = d.charAt(d.length() - 1 - i) - '0';
      sum += (i % 2 == 0) ? digit : LUHN_DOUBLED.charAt(digit) - '0';
    }
    return sum % 10 == 0;
  }

  static boolean cardValid(String value) {
    String d = asciiDigits(value);
    int n = d.length();
    if (n < 13 || n > 19 || !CARD_PREFIX.matcher(d).find()) {
      return false;
    }
    boolean allSame = true;
    for (int i = 1; i < n; i++) {
      if (d.charAt(i) != d.charAt(0)) {
        allSame = false;
        break;
      }
    }
    return !allSame && luhnValid(d);
  }

  static boolean ibanValid(String value) {
    // the matched value is ASCII (letters, digits, spaces), so upper-casing is the ASCII one
    String s = value.replace(" ", "").toUpperCase(java.util.Locale.ROOT);
    int n = s.codePointCount(0, s.length());
    Integer expected = s.length() >= 2 ? IBAN_LENGTHS.get(s.substring(0, 2)) : null;
    boolean lengthOk = expected != null ? n == expected.intValue() : n >= 15 && n <= 34;
    if (!lengthOk || !IBAN_SHAPE.matcher(s).find()) {
      return false;
    }
    String rearranged = s.substring(4) + s.substring(0, 4);
    int mod = 0;
    for (int i = 0; i < rearranged.length(); i++) {
      char c = rearranged.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        mod = (mod * 100 + (c - 'A' + 10)) % 97;
      } else {
        mod = (mod * 10 + (c - '0')) % 97;
      }
    }
    return mod == 1;
  }

  static boolean internationalPhoneValid(String value) {
    int n = asciiDigits(value.replace("(0)", "")).length();
    return n >= 8 && n <= 15;
  }

  /** Bits per character, summed over distinct characters in order of first appearance. */
  static double shannonEntropy(String value) {
    int n = value.codePointCount(0, value.length());
    if (n == 0) {
      return 0.0;
    }
    double acc = 0.0;
    int[] cps = value.codePoints().toArray();
    for (int i = 0; i < cps.length; i++) {
      boolean seen = false;
      for (int j = 0; j < i; j++) {
        if (cps[j] == cps[i]) {
          seen = true;
          break;
        }
      }
      if (seen) {
        continue;
      }
      int count = 0;
      for (int cp : cps) {
        if (cp == cps[i]) {
          count++;
        }
      }
      double p = (double) count / (double) n;
      acc = acc + (-p * (StrictMath.log(p) / LN2));
    }
    return acc;
  }

  static boolean secretValid(String value) {
    return value.codePointCount(0, value.length()) >= 8
        && LETTER.matcher(value).find()
        && DIGIT.matcher(value).find()
        && shannonEntropy(value) >= 3.0;
  }

  static boolean ipv6Valid(String value) {
    int groups = 0;
    for (String g : value.split(":", -1)) {
      if (!g.isEmpty()) {
        groups++;
      }
    }
    int doubles = value.split("::", -1).length - 1;
    return groups >= 2 && doubles <= 1 && (doubles == 1 || groups == 8);
  }
}
