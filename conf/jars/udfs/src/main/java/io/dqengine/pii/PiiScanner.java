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
   *     {@code ipv6}, {@code international_phone}, {@code birth_year} or {@code digits:LOW-HIGH}).
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
      if (f.length != 5) {
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
    boolean hasMarkers = text.indexOf(OPEN) >= 0 || text.indexOf(CLOSE) >= 0;
    String safe = hasMarkers ? text.replace(OPEN, ' ').replace(CLOSE, ' ') : text;
    boolean bmpOnly = !hasSurrogates(text);
    List<Finding> found = new ArrayList<>();
    for (Detector d : detectors()) {
      if (d.gate != null && !d.gate.matcher(text).find()) {
        continue;
      }
      if (hasMarkers && !d.pattern.matcher(text).find()) {
        continue;
      }
      scan(d, safe, bmpOnly, found);
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

  private static boolean hasSurrogates(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private void scan(Detector d, String safe, boolean bmpOnly, List<Finding> found) {
    Matcher m = d.pattern.matcher(safe);
    // code-point offsets, counted forward from the previous match (matches only move right)
    int lastChar = 0;
    int lastCp = 0;
    while (m.find()) {
      int s = d.hasPiiGroup ? m.start("pii") : m.start();
      int e = d.hasPiiGroup ? m.end("pii") : m.end();
      String value = safe.substring(s, e);
      if (!valid(d, value)) {
        continue;
      }
      int start;
      int end;
      if (bmpOnly) {
        start = s;
        end = e;
      } else {
        start = lastCp + safe.codePointCount(lastChar, s);
        end = start + safe.codePointCount(s, e);
        lastChar = s;
        lastCp = start;
      }
      found.add(new Finding(d, start, end, value));
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
