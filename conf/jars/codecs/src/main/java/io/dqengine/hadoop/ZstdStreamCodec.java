package io.dqengine.hadoop;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configurable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionInputStream;
import org.apache.hadoop.io.compress.CompressionOutputStream;
import org.apache.hadoop.io.compress.Compressor;
import org.apache.hadoop.io.compress.Decompressor;

/**
 * A Hadoop {@link CompressionCodec} for Zstandard ({@code .zst}) streams that needs no native Hadoop.
 *
 * <h2>Why it exists</h2>
 *
 * Spark reads compressed text, JSON and CSV through Hadoop's {@code CompressionCodecFactory}, which
 * picks a codec by file extension. For {@code .zst} Hadoop 3.3's choice is
 * {@code org.apache.hadoop.io.compress.ZStandardCodec}, and that class only works when
 * {@code libhadoop.so} was built with zstd. The Hadoop inside the pyspark wheel, and most laptop
 * and CI setups, has no native library, so {@code spark.read.text("landing.txt.zst")} fails with
 * "native zStandard library not available". This codec decodes the same files with zstd-jni
 * ({@code com.github.luben:zstd-jni}), which Spark itself already ships for its shuffle and Parquet
 * compression. zstd-jni carries its own per-platform natives inside its jar, so nothing has to be
 * installed on the machine.
 *
 * <h2>How to turn it on</h2>
 *
 * Put this jar on the driver and executor classpath ({@code spark.jars}) and set
 *
 * <pre>spark.hadoop.io.compression.codecs = io.dqengine.hadoop.ZstdStreamCodec</pre>
 *
 * {@code CompressionCodecFactory} first registers the codecs found through
 * {@code ServiceLoader} (gzip, bzip2, Hadoop's own zstd, ...) and then the classes named in
 * {@code io.compression.codecs}; codecs are keyed by extension and a later one replaces an earlier
 * one, so this class takes {@code .zst} over Hadoop's native-only codec while every other
 * extension keeps its usual codec. Where the platform owns the session (the jar then comes from
 * a cluster library), the same key set as a session conf without the {@code spark.hadoop.} prefix,
 * {@code spark.conf.set("io.compression.codecs", ...)}, works too: Spark copies session confs into
 * the Hadoop configuration of every read.
 *
 * <h2>Behaviour</h2>
 *
 * <ul>
 *   <li>Reading decodes every frame of a file: concatenated frames (as {@code zstd} of several
 *       inputs, {@code pzstd}, or appending to a file produce) and skippable frames are handled by
 *       zstd's streaming decoder. A truncated or corrupt file fails with an {@link IOException};
 *       a zero-byte file reads as empty, as it does with gzip.
 *   <li>The codec is not splittable: one file is read by one task, as with gzip.
 *   <li>There is no pooled {@link Compressor}/{@link Decompressor}: the type and factory methods
 *       return {@code null}, which Hadoop's {@code CodecPool} and record readers accept (they then
 *       call {@code createInputStream(in, null)}); each stream owns its zstd context and frees it
 *       on close.
 *   <li>Writing emits one frame per stream (per {@code finish()}), level {@value #LEVEL_KEY} (default
 *       {@value #DEFAULT_LEVEL}, the key Hadoop's own codec reads) with a content checksum.
 *   <li>Frames compressed with a window larger than 128 MiB ({@code zstd --long=28..31}) need
 *       {@value #WINDOW_LOG_MAX_KEY} raised to that log; it stays at the library default unless set,
 *       because it bounds the memory one reader may allocate.
 * </ul>
 */
public class ZstdStreamCodec implements CompressionCodec, Configurable {

  /** Compression level for writing; the key Hadoop's native {@code ZStandardCodec} reads. */
  public static final String LEVEL_KEY = "io.compression.codec.zstd.level";

  /** zstd's own default level. */
  public static final int DEFAULT_LEVEL = 3;

  /** Largest window log the decoder accepts; 0 keeps the library default (27, 128 MiB). */
  public static final String WINDOW_LOG_MAX_KEY = "dqengine.zstd.window.log.max";

  /** The extension {@code CompressionCodecFactory} maps to this codec. */
  public static final String EXTENSION = ".zst";

  private Configuration conf;

  /** Needed by {@code ReflectionUtils.newInstance}; the configuration arrives through setConf. */
  public ZstdStreamCodec() {}

  @Override
  public void setConf(Configuration conf) {
    this.conf = conf;
  }

  @Override
  public Configuration getConf() {
    return conf;
  }

  @Override
  public String getDefaultExtension() {
    return EXTENSION;
  }

  @Override
  public CompressionInputStream createInputStream(InputStream in) throws IOException {
    return createInputStream(in, null);
  }

  /** The decompressor, always {@code null} from {@code CodecPool}, is ignored. */
  @Override
  public CompressionInputStream createInputStream(InputStream in, Decompressor decompressor)
      throws IOException {
    return new ZstdDecompressionStream(in, conf == null ? 0 : conf.getInt(WINDOW_LOG_MAX_KEY, 0));
  }

  @Override
  public CompressionOutputStream createOutputStream(OutputStream out) throws IOException {
    return createOutputStream(out, null);
  }

  /** The compressor, always {@code null} from {@code CodecPool}, is ignored. */
  @Override
  public CompressionOutputStream createOutputStream(OutputStream out, Compressor compressor)
      throws IOException {
    return new ZstdCompressionStream(
        out, conf == null ? DEFAULT_LEVEL : conf.getInt(LEVEL_KEY, DEFAULT_LEVEL));
  }

  /** No pooled compressor: each output stream owns its zstd context. */
  @Override
  public Class<? extends Compressor> getCompressorType() {
    return null;
  }

  /** No pooled compressor: each output stream owns its zstd context. */
  @Override
  public Compressor createCompressor() {
    return null;
  }

  /** No pooled decompressor: each input stream owns its zstd context. */
  @Override
  public Class<? extends Decompressor> getDecompressorType() {
    return null;
  }

  /** No pooled decompressor: each input stream owns its zstd context. */
  @Override
  public Decompressor createDecompressor() {
    return null;
  }

  /**
   * Decodes {@code in} frame after frame. The compressed stream stays in the superclass's
   * {@code in}, so {@code getPos()} reports compressed bytes consumed (what {@code LineRecordReader}
   * measures progress and split ends with), and {@code close()} closes it once.
   */
  static final class ZstdDecompressionStream extends CompressionInputStream {
    private final int windowLogMax;
    private ZstdInputStream zstd;

    ZstdDecompressionStream(InputStream in, int windowLogMax) throws IOException {
      super(in);
      this.windowLogMax = windowLogMax;
      this.zstd = open();
    }

    private ZstdInputStream open() throws IOException {
      // The zstd stream gets a view whose close() does nothing: closing the zstd stream frees its
      // native context, and the compressed stream is closed by super.close() alone.
      ZstdInputStream stream = new ZstdInputStream(new KeepOpenInputStream(in));
      if (windowLogMax > 0) {
        stream.setLongMax(windowLogMax);
      }
      return stream;
    }

    @Override
    public int read() throws IOException {
      return zstd.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return zstd.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
      return zstd.skip(n);
    }

    /**
     * Starts a fresh decoder at the compressed stream's current position. Input the old decoder
     * had buffered is dropped, as Hadoop's {@code DecompressorStream} does; callers that reset
     * (SequenceFile blocks) reposition the compressed stream first.
     */
    @Override
    public void resetState() throws IOException {
      zstd.close();
      zstd = open();
    }

    @Override
    public void close() throws IOException {
      try {
        zstd.close();
      } finally {
        super.close();
      }
    }
  }

  /**
   * Writes one zstd frame; {@code finish()} ends it and a later write starts a new frame, so the
   * output of finish-write-finish is a valid multi-frame file.
   */
  static final class ZstdCompressionStream extends CompressionOutputStream {
    private final int level;
    private ZstdOutputStream frame;
    private boolean framesWritten;
    private boolean closed;

    ZstdCompressionStream(OutputStream out, int level) {
      super(out);
      this.level = level;
    }

    private ZstdOutputStream frame() throws IOException {
      if (frame == null) {
        frame = new ZstdOutputStream(new KeepOpenOutputStream(out), level);
        frame.setChecksum(true);
      }
      return frame;
    }

    @Override
    public void write(int b) throws IOException {
      frame().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      frame().write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (frame != null) {
        frame.flush();
      }
      out.flush();
    }

    /**
     * Ends the open frame, leaving out open. A stream that never wrote anything still gets one
     * empty frame, so an empty output file is a valid zstd file (as an empty gzip file has a
     * header); a second finish() writes nothing.
     */
    @Override
    public void finish() throws IOException {
      if (frame == null && framesWritten) {
        return;
      }
      ZstdOutputStream current = frame();
      frame = null;
      framesWritten = true;
      current.close();
    }

    /** Ends an open frame so the bytes written so far stay decodable; the next write starts anew. */
    @Override
    public void resetState() throws IOException {
      if (frame != null) {
        finish();
      }
    }

    /** finish(), then closes out; a second close() does nothing. */
    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        super.close();
      }
    }
  }

  /** An input view whose close() leaves the wrapped stream open. */
  private static final class KeepOpenInputStream extends FilterInputStream {
    KeepOpenInputStream(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }

  /** An output view whose close() only flushes the wrapped stream. */
  private static final class KeepOpenOutputStream extends FilterOutputStream {
    KeepOpenOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len); // FilterOutputStream would write byte by byte
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
