package io.dqengine.quality;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;

/**
 * Every {@code quality_heuristics} signal of one document in a single pass over its characters.
 *
 * <h2>Why it exists</h2>
 *
 * The same signals are defined as Spark SQL expressions in {@code dq_engine/quality/signals.py} and
 * as an Arrow batch function in {@code dq_engine/quality/repetition.py}. Those definitions are the
 * reference: this class must return exactly what they return (the Python suite compares the two on
 * hand-made and random documents). Written as about twenty Java regular expressions plus a trip
 * through Python, they cost about 1.4 ms per 300-word document. Here one scan of the code points, one
 * scan of the lines and one hash table per n-gram size do the same work in tens of microseconds.
 *
 * <h2>Definitions it reproduces</h2>
 *
 * <ul>
 *   <li>"ASCII whitespace" is Java regex {@code \s} without flags: space, tab, LF, VT, FF, CR.
 *   <li>token: a maximal run of non-ASCII-whitespace; word: a token holding a letter or digit
 *       ({@code \p{L}}, {@code \p{N}}); alphabetic word: a token holding a letter.
 *   <li>lines: the text trimmed of ASCII whitespace, where each LF takes the following whitespace
 *       and at most 64 preceding horizontal whitespace characters with it (the bounded regex of
 *       {@code normalized_lines}), split at LF.
 *   <li>paragraphs: the trimmed text split at whitespace runs that hold two or more LFs, each
 *       separator starting at its first LF.
 *   <li>n-gram words: maximal runs of non-Unicode-whitespace (Python's {@code str.isspace} set,
 *       which is what Arrow's {@code utf8_split_whitespace} uses). N-grams are compared by a 64-bit
 *       hash of their words' 64-bit hashes, as the Arrow version compares them.
 * </ul>
 *
 * All lengths are in code points, as Spark's {@code length} and Arrow's {@code utf8_length} count.
 *
 * <p>Configuration is fixed per instance (the constructor argument, see {@link #QualitySignals});
 * the Python side registers one instance per configuration. Scratch buffers are per thread.
 */
public final class QualitySignals implements UDF1<String, Row> {
  private static final long serialVersionUID = 1L;

  private static final String BULLETS = "•‣◦⁃▪●∙*-";
  private static final String TERMINAL_PUNCTUATION = ".!?\"'”’…。！？؟।";
  private static final String SENTENCE_PUNCTUATION = ".!?…。！？؟।";
  private static final String[] POLICY_PHRASES = {
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"
  };
  private static final int MAX_TRAILING_WS = 64;

  // classes of ASCII characters, so the hot loops test one table entry instead of a chain of compares
  private static final byte C_WS = 1;
  private static final byte C_LETTER = 2;
  private static final byte C_DIGIT = 4;
  private static final byte C_SENTENCE = 8;
  private static final byte C_UNICODE_WS = 16;
  private static final byte[] ASCII = new byte[128];

  static {
    for (char c : " \t\n\u000b\f\r".toCharArray()) {
      ASCII[c] |= C_WS;
    }
    for (int c = 0; c < 128; c++) {
      if (isUnicodeWs(c)) {
        ASCII[c] |= C_UNICODE_WS;
      }
    }
    for (char c = 'a'; c <= 'z'; c++) {
      ASCII[c] |= C_LETTER;
      ASCII[Character.toUpperCase(c)] |= C_LETTER;
    }
    for (char c = '0'; c <= '9'; c++) {
      ASCII[c] |= C_DIGIT;
    }
    for (char c : ".!?".toCharArray()) {
      ASCII[c] |= C_SENTENCE;
    }
  }

  private static final long MUL = 0x9E3779B97F4A7C15L;
  private static final long WORD_MUL = 0xBF58476D1CE4E5B9L;

  private final String[] stopWords;
  private final int shortLineLength;
  private final int[] topNs;
  private final int[] dupNs;
  private transient Set<String> stopSet;
  private transient int maxStopLength;
  private transient char[][][] stopByLength;
  // stop words of at most 8 ASCII characters packed one byte per character, for the ASCII pass
  private transient long[] packedStops;
  private transient boolean allStopsPacked;
  private transient Pattern stopPattern;
  // set last by init(): its being non-null publishes the fields above
  private transient volatile ThreadLocal<Scratch> scratch;

  /**
   * @param config fields separated by U+001E: stop words, lower-cased (separated by U+001F), the FineWeb short-line
   *     length, the top-n-gram sizes and the duplicate-n-gram sizes (comma-separated, ascending).
   */
  public QualitySignals(String config) {
    String[] f = config.split("\u001e", -1);
    if (f.length != 4) {
      throw new IllegalArgumentException("expected 4 configuration fields, got " + f.length);
    }
    this.stopWords = f[0].isEmpty() ? new String[0] : f[0].split("\u001f", -1);
    this.shortLineLength = Integer.parseInt(f[1]);
    this.topNs = ints(f[2]);
    this.dupNs = ints(f[3]);
  }

  private static int[] ints(String csv) {
    if (csv.isEmpty()) {
      return new int[0];
    }
    String[] parts = csv.split(",");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Integer.parseInt(parts[i].trim());
    }
    return out;
  }

  /** Names of the returned struct's fields, in order (the Python side checks them). */
  public String fieldNames() {
    StringBuilder sb =
        new StringBuilder(
            "word_count,mean_word_length,hash_ratio,ellipsis_ratio,bullet_line_ratio,"
                + "ellipsis_line_ratio,alpha_word_ratio,stop_word_count,dup_line_ratio,dup_para_ratio,"
                + "dup_line_char_ratio,dup_para_char_ratio,has_lorem_ipsum,has_curly_bracket,"
                + "javascript_line_ratio,policy_line_ratio,sentence_count,punct_line_ratio,"
                + "short_line_ratio,fineweb_dup_line_char_ratio,newline_ratio");
    for (int n : topNs) {
      sb.append(",top_").append(n).append("gram_char_ratio");
    }
    for (int n : dupNs) {
      sb.append(",dup_").append(n).append("gram_char_ratio");
    }
    return sb.toString();
  }

  private void init() {
    if (scratch != null) {
      return;
    }
    boolean simple = true;
    Set<String> set = new HashSet<>();
    int longest = 0;
    StringBuilder alternatives = new StringBuilder();
    for (String lw : stopWords) {
      set.add(lw);
      longest = Math.max(longest, lw.length());
      if (lw.isEmpty() || !allLetterOrDigit(lw)) {
        simple = false;
      }
      if (alternatives.length() > 0) {
        alternatives.append('|');
      }
      alternatives.append(Pattern.quote(lw));
    }
    if (stopWords.length > 0 && !simple) {
      // The SQL definition is a regex; words with other characters keep its exact semantics.
      stopPattern =
          Pattern.compile("(?<![\\p{L}\\p{N}])(?:" + alternatives + ")(?![\\p{L}\\p{N}])");
    }
    char[][][] byLength = new char[longest + 1][][];
    for (int n = 0; n <= longest; n++) {
      java.util.List<char[]> same = new java.util.ArrayList<>();
      for (String w : set) {
        if (w.length() == n) {
          same.add(w.toCharArray());
        }
      }
      byLength[n] = same.toArray(new char[0][]);
    }
    long[] packed = new long[set.size()];
    int nPacked = 0;
    boolean allPacked = true;
    for (String w : set) {
      long p = pack(w);
      if (p == 0) {
        allPacked = false;
      } else {
        packed[nPacked++] = p;
      }
    }
    packedStops = java.util.Arrays.copyOf(packed, nPacked);
    allStopsPacked = allPacked;
    stopSet = set;
    maxStopLength = longest;
    stopByLength = byLength;
    scratch = ThreadLocal.withInitial(Scratch::new);
  }

  /** {@code w} one byte per character with a leading 1 bit, or 0 when it is not 1-8 ASCII characters. */
  private static long pack(String w) {
    if (w.isEmpty() || w.length() > 8) {
      return 0;
    }
    long p = 1;
    for (int i = 0; i < w.length(); i++) {
      char c = w.charAt(i);
      if (c >= 0x80) {
        return 0;
      }
      p = (p << 8) | c;
    }
    return p;
  }

  private static boolean allLetterOrDigit(String s) {
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      if (!isLetterOrNumber(cp)) {
        return false;
      }
      i += Character.charCount(cp);
    }
    return true;
  }

  static boolean isAsciiWs(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  private static boolean isHorizontalWs(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == 0x0B;
  }

  static boolean isLetterOrNumber(int cp) {
    return letterOrDigitClass(cp) != 0;
  }

  /** {@code C_LETTER} for {@code \p{L}}, {@code C_DIGIT} for {@code \p{N}}, else 0. */
  private static int letterOrDigitClass(int cp) {
    switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER:
      case Character.LOWERCASE_LETTER:
      case Character.TITLECASE_LETTER:
      case Character.MODIFIER_LETTER:
      case Character.OTHER_LETTER:
        return C_LETTER;
      case Character.DECIMAL_DIGIT_NUMBER:
      case Character.LETTER_NUMBER:
      case Character.OTHER_NUMBER:
        return C_DIGIT;
      default:
        return 0;
    }
  }

  /** Python's {@code str.isspace}, the set Arrow splits words on. */
  static boolean isUnicodeWs(int c) {
    if (c <= 0x20) {
      return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }
    if (c < 0x85) {
      return false;
    }
    return c == 0x85
        || c == 0xA0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028
        || c == 0x2029
        || c == 0x202F
        || c == 0x205F
        || c == 0x3000;
  }

  @Override
  public Row call(String input) {
    init();
    String s = input == null ? "" : input;
    Scratch sc = scratch.get();
    final int len = s.length();

    int textChars = 0;
    int tokens = 0;
    int words = 0;
    int alphaWords = 0;
    int nonSpace = 0;
    int hashes = 0;
    int ellipses = 0;
    int newlines = 0;
    int sentences = 0;
    boolean curly = false;
    boolean inToken = false;
    boolean tokenHasLN = false;
    boolean tokenHasL = false;
    int dotRun = 0;
    boolean inSentencePunct = false;
    boolean ascii = true;
    // stop words of an all-ASCII text are counted in this pass (lower-casing ASCII is exact there);
    // the count is dropped below if the text turns out not to be ASCII
    boolean countStops = stopWords.length > 0 && stopPattern == null;
    int asciiStops = 0;
    int runStart = -1;
    long runPacked = 1;
    char[] b = sc.chars(len);
    s.getChars(0, len, b, 0);
    for (int i = 0; i < len; ) {
      char c = b[i];
      int cp = c;
      int width = 1;
      int cls;
      if (c < 0x80) {
        cls = ASCII[c];
      } else {
        ascii = false;
        cp = Character.codePointAt(b, i, len);
        width = Character.charCount(cp);
        cls = unicodeClass(cp);
      }
      textChars++;
      if ((cls & C_WS) != 0) {
        if (inToken) {
          tokens++;
          words += tokenHasLN ? 1 : 0;
          alphaWords += tokenHasL ? 1 : 0;
          inToken = false;
        }
        if (cp == '\n') {
          newlines++;
        }
      } else {
        nonSpace++;
        if (!inToken) {
          inToken = true;
          tokenHasLN = false;
          tokenHasL = false;
        }
        tokenHasL |= (cls & C_LETTER) != 0;
        tokenHasLN |= (cls & (C_LETTER | C_DIGIT)) != 0;
      }
      if ((cls & (C_LETTER | C_DIGIT)) != 0) {
        if (runStart < 0) {
          runStart = i;
          runPacked = 1;
        }
        // shifted out after 8 characters: only runs of at most 8 are compared packed
        runPacked = (runPacked << 8) | lowerAscii(c);
      } else if (runStart >= 0) {
        if (countStops) {
          asciiStops += asciiStopWord(b, runStart, i, runPacked);
        }
        runStart = -1;
      }
      if (cp == '.') {
        dotRun++;
      } else {
        if (dotRun > 0) {
          ellipses += dotRun / 3;
          dotRun = 0;
        }
        if (cp == '#') {
          hashes++;
        } else if (cp == '{') {
          curly = true;
        } else if (cp == '…') {
          ellipses++;
        }
      }
      if ((cls & C_SENTENCE) != 0) {
        inSentencePunct = true;
      } else if (inSentencePunct) {
        inSentencePunct = false;
        if ((cls & C_WS) != 0 || isFinalTerminator(s, i, width)) {
          sentences++;
        }
      }
      i += width;
    }
    if (inToken) {
      tokens++;
      words += tokenHasLN ? 1 : 0;
      alphaWords += tokenHasL ? 1 : 0;
    }
    ellipses += dotRun / 3;
    if (inSentencePunct) {
      sentences++;
    }
    if (runStart >= 0 && countStops) {
      asciiStops += asciiStopWord(b, runStart, len, runPacked);
    }

    int stopCount;
    boolean lorem;
    if (ascii) {
      // Spark lower-cases an all-ASCII string byte by byte, whatever the JVM's locale
      if (stopWords.length == 0) {
        stopCount = 0;
      } else {
        stopCount = stopPattern != null ? countMatches(stopPattern, asciiLower(s)) : asciiStops;
      }
      lorem = containsAsciiIgnoreCase(b, len, "lorem ipsum");
    } else {
      // otherwise String.toLowerCase() in the default locale, as UTF8String.toLowerCase does
      String lower = s.toLowerCase(Locale.getDefault());
      if (stopWords.length == 0) {
        stopCount = 0;
      } else {
        stopCount = stopPattern != null ? countMatches(stopPattern, lower) : stopWordRuns(lower);
      }
      lorem = lower.contains("lorem ipsum");
    }

    String trimmed = trimAsciiWs(s);
    // lines
    String linesText = normalizedLines(trimmed, sc.sb);
    int nLines = 0;
    int bulletLines = 0;
    int ellipsisLines = 0;
    int punctLines = 0;
    int shortLines = 0;
    int jsLines = 0;
    int policyLines = 0;
    int dupLines = 0;
    int dupLineChars = 0;
    if (!linesText.isEmpty()) {
      String[] lines = linesText.split("\n", -1);
      nLines = lines.length;
      String lowerLines = linesText.toLowerCase(Locale.getDefault());
      boolean anyJs = lowerLines.contains("javascript");
      boolean anyPolicy = false;
      for (String p : POLICY_PHRASES) {
        anyPolicy |= lowerLines.contains(p);
      }
      String[] lowered = anyJs || anyPolicy ? lowerLines.split("\n", -1) : null;
      Set<String> seen = sc.seen;
      seen.clear();
      for (int k = 0; k < lines.length; k++) {
        String line = lines[k];
        int n = line.length();
        if (n > 0 && BULLETS.indexOf(line.charAt(0)) >= 0) {
          bulletLines++;
        }
        if (line.endsWith("...") || line.endsWith("…")) {
          ellipsisLines++;
        }
        if (n > 0 && TERMINAL_PUNCTUATION.indexOf(line.charAt(n - 1)) >= 0) {
          punctLines++;
        }
        int cps = line.codePointCount(0, n);
        if (cps >= 1 && cps <= shortLineLength) {
          shortLines++;
        }
        if (lowered != null) {
          String l = lowered[k];
          if (anyJs && l.contains("javascript")) {
            jsLines++;
          }
          if (anyPolicy) {
            for (String p : POLICY_PHRASES) {
              if (l.contains(p)) {
                policyLines++;
                break;
              }
            }
          }
        }
        if (!seen.add(line)) {
          dupLines++;
          dupLineChars += cps;
        }
      }
    }
    // paragraphs
    int nParas = 0;
    int dupParas = 0;
    int dupParaChars = 0;
    if (!trimmed.isEmpty()) {
      Set<String> seen = sc.seen;
      seen.clear();
      int start = 0;
      int i = 0;
      int n = trimmed.length();
      while (i < n) {
        if (trimmed.charAt(i) == '\n') {
          int j = i;
          int lfs = 0;
          while (j < n && isAsciiWs(trimmed.charAt(j))) {
            lfs += trimmed.charAt(j) == '\n' ? 1 : 0;
            j++;
          }
          if (lfs >= 2) {
            String para = trimmed.substring(start, i);
            nParas++;
            if (!seen.add(para)) {
              dupParas++;
              dupParaChars += para.codePointCount(0, para.length());
            }
            start = j;
          }
          i = j;
        } else {
          i++;
        }
      }
      String para = trimmed.substring(start);
      nParas++;
      if (!seen.add(para)) {
        dupParas++;
        dupParaChars += para.codePointCount(0, para.length());
      }
    }

    int nFields = 21 + topNs.length + dupNs.length;
    Object[] out = new Object[nFields];
    out[0] = words;
    out[1] = ratio(nonSpace, tokens);
    out[2] = ratio(hashes, words);
    out[3] = ratio(ellipses, words);
    out[4] = ratio(bulletLines, nLines);
    out[5] = ratio(ellipsisLines, nLines);
    out[6] = ratio(alphaWords, words);
    out[7] = stopCount;
    out[8] = ratio(dupLines, nLines);
    out[9] = ratio(dupParas, nParas);
    out[10] = ratio(dupLineChars, textChars);
    out[11] = ratio(dupParaChars, textChars);
    out[12] = lorem;
    out[13] = curly;
    out[14] = ratio(jsLines, nLines);
    out[15] = ratio(policyLines, nLines);
    out[16] = sentences;
    out[17] = ratio(punctLines, nLines);
    out[18] = ratio(shortLines, nLines);
    out[19] = ratio(dupLineChars, textChars - newlines);
    out[20] = ratio(newlines, words);
    if (topNs.length + dupNs.length > 0) {
      ngramSignals(b, len, textChars, sc, out, 21);
    }
    return RowFactory.create(out);
  }

  private static int unicodeClass(int cp) {
    int cls = letterOrDigitClass(cp);
    if (cp < 0x10000 && SENTENCE_PUNCTUATION.indexOf(cp) >= 0) {
      cls |= C_SENTENCE;
    }
    if (isUnicodeWs(cp)) {
      cls |= C_UNICODE_WS;
    }
    return cls;
  }

  /** 1 when {@code b[from..to)} (ASCII letters and digits) is a stop word once lower-cased, else 0. */
  private int asciiStopWord(char[] b, int from, int to, long runPacked) {
    int len = to - from;
    if (len > maxStopLength) {
      return 0;
    }
    if (len <= 8) {
      for (long p : packedStops) {
        if (p == runPacked) {
          return 1;
        }
      }
      if (allStopsPacked) {
        return 0;
      }
    }
    for (char[] w : stopByLength[len]) {
      int k = 0;
      while (k < len && lowerAscii(b[from + k]) == w[k]) {
        k++;
      }
      if (k == len) {
        return 1;
      }
    }
    return 0;
  }

  private static char lowerAscii(char c) {
    return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
  }

  private static String asciiLower(String s) {
    char[] out = s.toCharArray();
    for (int i = 0; i < out.length; i++) {
      out[i] = lowerAscii(out[i]);
    }
    return new String(out);
  }

  /** Whether the all-ASCII {@code b[0..len)} contains the lower-case ASCII {@code needle}, ignoring case. */
  private static boolean containsAsciiIgnoreCase(char[] b, int len, String needle) {
    int m = needle.length();
    char first = needle.charAt(0);
    for (int i = 0; i <= len - m; i++) {
      if (lowerAscii(b[i]) != first) {
        continue;
      }
      int k = 1;
      while (k < m && lowerAscii(b[i + k]) == needle.charAt(k)) {
        k++;
      }
      if (k == m) {
        return true;
      }
    }
    return false;
  }

  private static double ratio(long num, long den) {
    return den > 0 ? (double) num / (double) den : 0.0;
  }

  /** Java's {@code $} without MULTILINE also matches before one line terminator ending the input. */
  private static boolean isFinalTerminator(String s, int i, int width) {
    int cp = s.codePointAt(i);
    return (cp == 0x85 || cp == 0x2028 || cp == 0x2029) && i + width == s.length();
  }

  private static int countMatches(Pattern p, String s) {
    Matcher m = p.matcher(s);
    int count = 0;
    while (m.find()) {
      count++;
    }
    return count;
  }

  /**
   * Whole-word stop-word occurrences in {@code lower}, as the SQL regex counts them: a maximal run of
   * letters and digits that equals a stop word. Java's one-character lookbehind reads a UTF-16 unit,
   * so after a letter or digit outside the BMP (a surrogate pair) the regex also finds a stop word
   * that ends the run; that is reproduced here.
   */
  private int stopWordRuns(String lower) {
    int count = 0;
    int n = lower.length();
    int i = 0;
    while (i < n) {
      int cp = lower.codePointAt(i);
      if (!isLetterOrNumber(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      boolean supplementary = false;
      while (i < n) {
        cp = lower.codePointAt(i);
        if (!isLetterOrNumber(cp)) {
          break;
        }
        supplementary |= cp > 0xFFFF;
        i += Character.charCount(cp);
      }
      if (isStopWord(lower, start, i)) {
        count++;
      } else if (supplementary) {
        for (int k = start; k < i; ) {
          int width = Character.charCount(lower.codePointAt(k));
          k += width;
          if (width == 2 && k < i && isStopWord(lower, k, i)) {
            count++;
            break;
          }
        }
      }
    }
    return count;
  }

  private boolean isStopWord(String s, int from, int to) {
    return to - from <= maxStopLength && stopSet.contains(s.substring(from, to));
  }

  private static String trimAsciiWs(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && isAsciiWs(s.charAt(a))) {
      a++;
    }
    while (b > a && isAsciiWs(s.charAt(b - 1))) {
      b--;
    }
    return s.substring(a, b);
  }

  /** {@code normalized_lines} of an already trimmed text. */
  private static String normalizedLines(String t, StringBuilder sb) {
    int nl = t.indexOf('\n');
    if (nl < 0) {
      return t;
    }
    sb.setLength(0);
    int n = t.length();
    int from = 0;
    while (nl >= 0) {
      // t[from] is not whitespace (the text is trimmed, and each LF took the whitespace after it),
      // so the horizontal run before this LF starts after it
      int end = nl;
      while (nl - end < MAX_TRAILING_WS && isHorizontalWs(t.charAt(end - 1))) {
        end--;
      }
      sb.append(t, from, end).append('\n');
      int i = nl + 1;
      while (i < n && isAsciiWs(t.charAt(i))) {
        i++;
      }
      from = i;
      nl = t.indexOf('\n', from);
    }
    sb.append(t, from, n);
    return sb.toString();
  }

  /** The Gopher n-gram signals of {@code dq_engine/quality/repetition.py}, into {@code out[at..]}. */
  private void ngramSignals(char[] b, int n, int textChars, Scratch sc, Object[] out, int at) {
    int nWords = 0;
    int i = 0;
    while (i < n) {
      char c = b[i];
      if (c < 0x80 ? (ASCII[c] & C_UNICODE_WS) != 0 : isUnicodeWs(Character.codePointAt(b, i, n))) {
        i += c < 0x80 ? 1 : Character.charCount(Character.codePointAt(b, i, n));
        continue;
      }
      long h = 0xCBF29CE484222325L;
      int chars = 0;
      while (i < n) {
        int cp = b[i];
        if (cp < 0x80) {
          if ((ASCII[cp] & C_UNICODE_WS) != 0) {
            break;
          }
          i++;
        } else {
          cp = Character.codePointAt(b, i, n);
          if (isUnicodeWs(cp)) {
            break;
          }
          i += Character.charCount(cp);
        }
        h = (h ^ cp) * 0x100000001B3L;
        chars++;
      }
      sc.ensureWords(nWords + 1);
      sc.wordKey[nWords] = mix(h ^ chars) * WORD_MUL + 1;
      sc.wordLen[nWords] = chars;
      nWords++;
    }
    double safeChars = textChars > 0 ? textChars : 1.0;
    int maxN = 0;
    for (int v : topNs) {
      maxN = Math.max(maxN, v);
    }
    for (int v : dupNs) {
      maxN = Math.max(maxN, v);
    }
    int nTop = topNs.length;
    for (int k = 0; k < nTop + dupNs.length; k++) {
      out[at + k] = 0.0;
    }
    if (nWords == 0) {
      return;
    }
    long[] hash = sc.gramHash;
    long[] key = sc.wordKey;
    int[] wlen = sc.wordLen;
    System.arraycopy(key, 0, hash, 0, nWords);
    int[] cum = sc.cum;
    cum[0] = 0;
    for (int w = 0; w < nWords; w++) {
      cum[w + 1] = cum[w] + wlen[w];
    }
    // Only an n-gram whose (n-1)-gram prefix occurs twice can occur twice. So after size g is counted,
    // size g+1 is hashed and counted at those positions only (the candidates); every other position
    // holds a once-seen n-gram. On prose the candidates shrink to a few percent within three sizes.
    int[] cand = sc.cand;
    int nCand = nWords;
    for (int w = 0; w < nWords; w++) {
      cand[w] = w;
    }
    HashCounter table = sc.table;
    table.reset(nWords);
    int[] slot = sc.slot;
    for (int g = 1; g <= maxN && g <= nWords; g++) {
      int starts = nWords - g + 1;
      while (nCand > 0 && cand[nCand - 1] >= starts) {
        nCand--;
      }
      if (g > 1) {
        for (int k = 0; k < nCand; k++) {
          int w = cand[k];
          hash[w] = hash[w] * MUL + key[w + g - 1];
        }
      }
      int topAt = indexOf(topNs, g);
      int dupAt = indexOf(dupNs, g);
      if (g == 1 && topAt < 0 && dupAt < 0) {
        continue; // counting unigrams only to shrink the candidates costs as much as it saves
      }
      table.clear();
      long covered = 0;
      int coverEnd = 0;
      for (int k = 0; k < nCand; k++) {
        int w = cand[k];
        int sl = table.add(hash[w]);
        slot[k] = sl;
        // candidates are in text order: a count above one right after adding is a repeat
        if (dupAt >= 0 && table.count(sl) > 1) {
          int from = Math.max(w, coverEnd);
          int to = w + g;
          covered += cum[to] - cum[from];
          coverEnd = to;
        }
      }
      if (topAt >= 0) {
        // a count of one for the longest n-gram anywhere, then the candidates' real counts
        int longest = 0;
        for (int w = 0; w < starts; w++) {
          longest = Math.max(longest, cum[w + g] - cum[w]);
        }
        long best = (1L << 32) | (longest + g - 1);
        for (int k = 0; k < nCand; k++) {
          int w = cand[k];
          long gramChars = cum[w + g] - cum[w] + (g - 1);
          best = Math.max(best, ((long) table.count(slot[k]) << 32) | gramChars);
        }
        out[at + topAt] = (double) ((best >>> 32) * (best & 0xFFFFFFFFL)) / safeChars;
      }
      if (dupAt >= 0) {
        out[at + nTop + dupAt] = covered / safeChars;
      }
      int kept = 0;
      for (int k = 0; k < nCand; k++) {
        if (table.count(slot[k]) > 1) {
          cand[kept++] = cand[k];
        }
      }
      nCand = kept;
    }
  }

  private static int indexOf(int[] values, int v) {
    for (int k = 0; k < values.length; k++) {
      if (values[k] == v) {
        return k;
      }
    }
    return -1;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Per-thread buffers, grown to the largest document seen. */
  private static final class Scratch {
    final StringBuilder sb = new StringBuilder();
    char[] text = new char[4096];
    final Set<String> seen = new HashSet<>();
    final HashCounter table = new HashCounter();
    long[] wordKey = new long[1024];
    long[] gramHash = new long[1024];
    int[] wordLen = new int[1024];
    int[] cum = new int[1025];
    int[] slot = new int[1024];
    int[] cand = new int[1024];

    char[] chars(int n) {
      if (text.length < n) {
        text = new char[Math.max(n, text.length * 2)];
      }
      return text;
    }

    void ensureWords(int n) {
      if (n <= wordKey.length) {
        return;
      }
      int cap = Math.max(n, wordKey.length * 2);
      wordKey = java.util.Arrays.copyOf(wordKey, cap);
      wordLen = java.util.Arrays.copyOf(wordLen, cap);
      gramHash = new long[cap];
      cum = new int[cap + 1];
      slot = new int[cap];
      cand = new int[cap];
    }
  }

  /** Open-addressing counts of 64-bit keys; {@link #clear} is O(1) through a generation stamp. */
  private static final class HashCounter {
    long[] keys = new long[2048];
    int[] counts = new int[2048];
    int[] stamp = new int[2048];
    int generation = 1;
    int mask = 2047;

    void reset(int entries) {
      int cap = Integer.highestOneBit(Math.max(16, entries * 2 - 1)) << 1;
      if (cap > keys.length) {
        keys = new long[cap];
        counts = new int[cap];
        stamp = new int[cap];
        generation = 1;
      }
      mask = Math.min(cap, keys.length) - 1;
    }

    void clear() {
      generation++;
      if (generation == Integer.MAX_VALUE) {
        java.util.Arrays.fill(stamp, 0);
        generation = 1;
      }
    }

    /** Adds one occurrence of {@code key}; returns its slot. */
    int add(long key) {
      // keys are products of mixed word hashes and odd constants: their bits are already spread
      int i = (int) (key ^ (key >>> 32)) & mask;
      while (true) {
        if (stamp[i] != generation) {
          stamp[i] = generation;
          keys[i] = key;
          counts[i] = 1;
          return i;
        }
        if (keys[i] == key) {
          counts[i]++;
          return i;
        }
        i = (i + 1) & mask;
      }
    }

    int count(int slot) {
      return counts[slot];
    }
  }
}
