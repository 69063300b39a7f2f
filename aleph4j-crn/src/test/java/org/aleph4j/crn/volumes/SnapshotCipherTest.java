package org.aleph4j.crn.volumes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Segmented AES-256-GCM of snapshot streams: round trips, and every way a stored stream can be wrong. */
class SnapshotCipherTest {
    static final String VOLUME = "ab".repeat(32);
    static final int SEG = 4096;
    final byte[] key = Disks.random(42, 32);

    static byte[] encrypt(byte[] key, String volume, long seq, byte[] plain, int segment) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream enc = SnapshotCipher.encrypt(out, key, volume, seq, segment)) {
            // odd-sized writes cross segment boundaries
            for (int off = 0; off < plain.length; off += 1000) enc.write(plain, off, Math.min(1000, plain.length - off));
        }
        return out.toByteArray();
    }

    static byte[] decrypt(byte[] key, String volume, long seq, byte[] sealed) throws IOException {
        try (InputStream in = SnapshotCipher.decrypt(new ByteArrayInputStream(sealed), key, volume, seq)) {
            return in.readAllBytes();
        }
    }

    @Test
    void roundTripsAtEverySizeAroundSegmentBoundaries() throws IOException {
        for (int n : new int[] {0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 3 * SEG + 17}) {
            byte[] plain = Disks.random(n, n);
            byte[] sealed = encrypt(key, VOLUME, 7, plain, SEG);
            assertThat(sealed.length).as("size of %d bytes", n).isEqualTo(SnapshotCipher.encryptedSize(n, SEG));
            assertThat(decrypt(key, VOLUME, 7, sealed)).isEqualTo(plain);
        }
        byte[] big = Disks.random(5, 5 * SnapshotCipher.SEGMENT + 3);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream enc = SnapshotCipher.encrypt(out, key, VOLUME, 1)) {
            enc.write(big);
        }
        assertThat(out.size()).isEqualTo(SnapshotCipher.encryptedSize(big.length, SnapshotCipher.SEGMENT));
        assertThat(decrypt(key, VOLUME, 1, out.toByteArray())).isEqualTo(big);
    }

    @Test
    void theSameSnapshotEncryptsDifferentlyEachTime() throws IOException {
        byte[] plain = Disks.random(1, 100);
        assertThat(encrypt(key, VOLUME, 1, plain, SEG)).isNotEqualTo(encrypt(key, VOLUME, 1, plain, SEG));
    }

    @Test
    void anAlteredByteFailsAtItsSegmentAndNothingOfThatSegmentIsHandedOut() throws IOException {
        byte[] plain = Disks.random(3, 4 * SEG);
        byte[] sealed = encrypt(key, VOLUME, 3, plain, SEG);
        int seg2 = SnapshotCipher.HEADER + 2 * (SEG + 16);
        sealed[seg2 + 100] ^= 1;
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream in = SnapshotCipher.decrypt(new ByteArrayInputStream(sealed), key, VOLUME, 3)) {
            assertThatThrownBy(() -> in.transferTo(got)).isInstanceOf(SnapshotCorruptException.class)
                    .hasMessageContaining("fails authentication at segment 2");
        }
        assertThat(got.toByteArray()).isEqualTo(Arrays.copyOf(plain, 2 * SEG));
        // the header is authenticated too
        byte[] header = encrypt(key, VOLUME, 3, plain, SEG);
        header[SnapshotCipher.HEADER - 20] ^= 1; // in the salt
        assertThatThrownBy(() -> decrypt(key, VOLUME, 3, header)).isInstanceOf(SnapshotCorruptException.class);
        byte[] segSize = encrypt(key, VOLUME, 3, plain, SEG);
        segSize[10] = 0x20; // segment size 0x2000... from 0x1000
        assertThatThrownBy(() -> decrypt(key, VOLUME, 3, segSize)).isInstanceOf(SnapshotCorruptException.class);
    }

    @Test
    void truncationAnywhereIsDetected() throws IOException {
        byte[] plain = Disks.random(4, 3 * SEG + 5);
        byte[] sealed = encrypt(key, VOLUME, 4, plain, SEG);
        int boundary = SnapshotCipher.HEADER + 3 * (SEG + 16);
        for (int cut : new int[] {0, 10, SnapshotCipher.HEADER, SnapshotCipher.HEADER + 5, SnapshotCipher.HEADER + SEG + 16,
                boundary, boundary + 10, sealed.length - 1}) {
            assertThatThrownBy(() -> decrypt(key, VOLUME, 4, Arrays.copyOf(sealed, cut))).as("cut at %d", cut)
                    .isInstanceOf(SnapshotCorruptException.class);
        }
        // a stream that is a whole number of segments, cut before its last one
        byte[] exact = encrypt(key, VOLUME, 4, Disks.random(5, 2 * SEG), SEG);
        assertThatThrownBy(() -> decrypt(key, VOLUME, 4, Arrays.copyOf(exact, SnapshotCipher.HEADER + SEG + 16)))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("segment 0");
    }

    @Test
    void reorderedDuplicatedOrAppendedSegmentsAreDetected() throws IOException {
        byte[] plain = Disks.random(6, 3 * SEG);
        byte[] sealed = encrypt(key, VOLUME, 5, plain, SEG);
        int h = SnapshotCipher.HEADER;
        int s = SEG + 16;
        byte[] swapped = sealed.clone();
        System.arraycopy(sealed, h + s, swapped, h, s);
        System.arraycopy(sealed, h, swapped, h + s, s);
        assertThatThrownBy(() -> decrypt(key, VOLUME, 5, swapped)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("segment 0");
        byte[] appended = Arrays.copyOf(sealed, sealed.length + s);
        System.arraycopy(sealed, h, appended, sealed.length, s);
        assertThatThrownBy(() -> decrypt(key, VOLUME, 5, appended)).isInstanceOf(SnapshotCorruptException.class);
        // the last segment of another encryption of the same snapshot does not fit (another salt)
        byte[] other = encrypt(key, VOLUME, 5, plain, SEG);
        byte[] spliced = sealed.clone();
        System.arraycopy(other, h + 2 * s, spliced, h + 2 * s, s);
        assertThatThrownBy(() -> decrypt(key, VOLUME, 5, spliced)).isInstanceOf(SnapshotCorruptException.class);
    }

    @Test
    void aWrongKeyVolumeOrSeqIsToldApartBeforeAnyData() throws IOException {
        byte[] sealed = encrypt(key, VOLUME, 8, Disks.random(7, 2 * SEG), SEG);
        byte[] otherKey = key.clone();
        otherKey[0] ^= 1;
        assertThatThrownBy(() -> SnapshotCipher.decrypt(new ByteArrayInputStream(sealed), otherKey, VOLUME, 8))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("was encrypted with another key");
        assertThatThrownBy(() -> SnapshotCipher.decrypt(new ByteArrayInputStream(sealed), key, VOLUME, 9))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("another key, for another volume or seq");
        assertThatThrownBy(() -> SnapshotCipher.decrypt(new ByteArrayInputStream(sealed), key, "cd".repeat(32), 8))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("snapshot 8 of volume cdcd");
        assertThatThrownBy(() -> decrypt(key, VOLUME, 8, "not a snapshot at all, but long enough for a header: ".repeat(3).getBytes()))
                .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("not an encrypted snapshot stream");
        assertThatThrownBy(() -> SnapshotCipher.encrypt(new ByteArrayOutputStream(), new byte[16], VOLUME, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
