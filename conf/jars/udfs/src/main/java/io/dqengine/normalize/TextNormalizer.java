package io.dqengine.normalize;

import java.text.Normalizer;
import java.util.regex.Pattern;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The whole {@code normalize_text} rewrite of one document in one UDF call.
 *
 * <h2>Why it exists</h2>
 *
 * {@code dq_engine/normalize/text.py} defines the stage as a Unicode-form {@code pandas_udf} (only
 * for non-ASCII rows) followed by up to seven {@code regexp_replace} calls. That definition stays the
 * reference ({@code engine: sql}). Spark evaluates each {@code regexp_replace} as a separate
 * conversion of the row's UTF-8 bytes to a Java string and back, and sends the non-ASCII rows
 * through an Arrow batch to a Python worker for the Unicode form. Here the row is converted once,
 * the same patterns are applied in the same order, and {@link Normalizer} gives the Unicode form in
 * the JVM.
 *
 * <h2>Same result</h2>
 *
 * The patterns below are the reference's pattern strings, compiled by the same engine Spark's
 * {@code regexp_replace} uses ({@link java.util.regex}), and the replacements hold no {@code $} or
 * backslash, so {@link java.util.regex.Matcher#replaceAll} equals {@code regexp_replace}. The one
 * difference is the Unicode version of the composition data: Java 17's {@link Normalizer} follows
 * Unicode 13, Python 3.11's {@code unicodedata} Unicode 14, so a character added in Unicode 14 may
 * compose differently. {@code tests/normalize/test_jvm_normalizer.py} compares the two.
 *
 * <p>Configuration is fixed per instance, as {@code form,control,zero_width,collapse,max_blank,strip}
 * with {@code form} one of {@code NFC}, {@code NFKC}, {@code none}, flags {@code 0}/{@code 1} and
 * {@code max_blank} an integer (negative: blank lines are left alone).
 */
public final class TextNormalizer implements UDF1<String, String> {
  private static final long serialVersionUID = 1L;

  private static final Pattern CRLF = Pattern.compile("\r\n?");
  private static final Pattern CONTROL =
      Pattern.compile("[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\x{80}-\\x{9F}]");
  private static final Pattern ZERO_WIDTH = Pattern.compile("[\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}\\x{00AD}]");
  private static final Pattern SPACES =
      Pattern.compile("[ \\t\\x{00A0}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}]+");
  private static final Pattern SPACES_AROUND_NEWLINE = Pattern.compile(" *\n *");
  private static final Pattern OUTER_WHITESPACE = Pattern.compile("^\\s+|\\s+$");

  private final Normalizer.Form form;
  private final boolean control;
  private final boolean zeroWidth;
  private final boolean collapse;
  private final Pattern blankLines;
  private final String blankLinesReplacement;
  /** The shortest run of line breaks {@link #blankLines} matches. */
  private final String blankLinesMinimum;
  private final boolean strip;

  /**
   * @param config {@code form,control,zero_width,collapse,max_blank,strip}, e.g. {@code NFC,1,1,1,1,1}
   */
  public TextNormalizer(String config) {
    String[] f = config.split(",", -1);
    if (f.length != 6) {
      throw new IllegalArgumentException("expected form,control,zero_width,collapse,max_blank,strip: " + config);
    }
    if ("none".equals(f[0])) {
      form = null;
    } else {
      form = Normalizer.Form.valueOf(f[0]);
    }
    control = "1".equals(f[1]);
    zeroWidth = "1".equals(f[2]);
    collapse = "1".equals(f[3]);
    int maxBlank = Integer.parseInt(f[4]);
    if (maxBlank >= 0) {
      blankLines = Pattern.compile("\n{" + (maxBlank + 2) + ",}");
      StringBuilder nl = new StringBuilder();
      for (int i = 0; i < maxBlank + 1; i++) {
        nl.append('\n');
      }
      blankLinesReplacement = nl.toString();
      blankLinesMinimum = blankLinesReplacement + "\n";
    } else {
      blankLines = null;
      blankLinesReplacement = null;
      blankLinesMinimum = null;
    }
    strip = "1".equals(f[5]);
  }

  private static boolean hasNonAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7F) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code s} holds a character {@link #CONTROL} matches. */
  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x1F ? c != '\t' && c != '\n' && c != '\r' : c >= 0x7F && c <= 0x9F) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code s} holds a character {@link #ZERO_WIDTH} matches. */
  private static boolean hasZeroWidth(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x00AD) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == 0x00A0 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F
        || c == 0x205F || c == 0x3000;
  }

  /**
   * Whether {@link #SPACES} would change {@code s}: it replaces each run of its characters by one
   * space, which changes nothing only where every run is a single {@code ' '}.
   */
  private static boolean hasSpaceRun(String s) {
    boolean previous = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean space = isSpace(c);
      if (space && (previous || c != ' ')) {
        return true;
      }
      previous = space;
    }
    return false;
  }

  /**
   * Whether {@link #OUTER_WHITESPACE} may change {@code s}. Without MULTILINE, {@code $} also matches
   * before a final line terminator ({@code \n}, {@code \r}, U+0085, U+2028, U+2029), so a last
   * character of that kind counts as well as a leading or trailing {@code \s}.
   */
  private static boolean mayHaveOuterWhitespace(String s) {
    if (s.isEmpty()) {
      return false;
    }
    char first = s.charAt(0);
    char last = s.charAt(s.length() - 1);
    return isRegexSpace(first) || isRegexSpace(last) || last == 0x0085 || last == 0x2028 || last == 0x2029;
  }

  /** {@code \s} of {@link java.util.regex} without UNICODE_CHARACTER_CLASS. */
  private static boolean isRegexSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  /**
   * The reference's steps in its order. A step runs only when its pattern can match something it
   * would change: most documents hold no carriage return, control or zero-width character, no run of
   * spaces, no space next to a line break and no outer whitespace, and a {@code replaceAll} that
   * changes nothing still copies the document. Each test below is true whenever the step would
   * change the text, so skipping it gives the same string.
   */
  @Override
  public String call(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    if (form != null && hasNonAscii(out)) {
      out = Normalizer.normalize(out, form);
    }
    if (out.indexOf('\r') >= 0) {
      out = CRLF.matcher(out).replaceAll("\n");
    }
    if (control && hasControl(out)) {
      out = CONTROL.matcher(out).replaceAll("");
    }
    if (zeroWidth && hasZeroWidth(out)) {
      out = ZERO_WIDTH.matcher(out).replaceAll("");
    }
    if (collapse) {
      if (hasSpaceRun(out)) {
        out = SPACES.matcher(out).replaceAll(" ");
      }
      if (out.contains(" \n") || out.contains("\n ")) {
        out = SPACES_AROUND_NEWLINE.matcher(out).replaceAll("\n");
      }
    }
    if (blankLines != null && out.contains(blankLinesMinimum)) {
      out = blankLines.matcher(out).replaceAll(blankLinesReplacement);
    }
    if (strip && mayHaveOuterWhitespace(out)) {
      out = OUTER_WHITESPACE.matcher(out).replaceAll("");
    }
    return out;
  }
}
