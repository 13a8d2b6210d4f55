//! The gaps between a stream's chunks, held in bounded memory.
//!
//! Every gap becomes one `time_per_output_chunk` point when the span ends.
//! A stream can be arbitrarily long (or a hostile endpoint can send a
//! million one-byte events), so the gaps are kept exactly only up to
//! [`EXACT_GAPS`]; later ones go into a running histogram over the
//! instrument's own buckets (`DURATION_BUCKETS`) that keeps, per bucket,
//! the count, sum, minimum and maximum. Replayed as the minimum, the
//! maximum and the rest at their mean (which lies between the two), the
//! points give the instrument the same per-bucket counts, count, sum,
//! minimum and maximum as the gaps themselves: nothing a histogram reports
//! changes, and memory stays at a few kilobytes per stream.

use super::semconv::DURATION_BUCKETS;

/// Gaps kept exactly before the running histogram takes over (32 KiB).
pub(crate) const EXACT_GAPS: usize = 4096;

/// One bucket of the running histogram.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

/// The non-zero gaps of one stream, in seconds (zeros are counted apart by
/// the span, more cheaply).
#[derive(Debug, Default)]
pub(crate) struct ChunkGaps {
    exact: Vec<f64>,
    /// Allocated once the exact gaps are full: one bucket per boundary,
    /// plus the one above the last.
    buckets: Option<Box<[Bucket]>>,
}

impl ChunkGaps {
    /// No gaps yet.
    pub(crate) const fn new() -> Self {
        ChunkGaps {
            exact: Vec::new(),
            buckets: None,
        }
    }

    /// Adds one gap.
    #[inline]
    pub(crate) fn push(&mut self, gap: f64) {
        if self.exact.len() < EXACT_GAPS {
            self.exact.push(gap);
        } else {
            self.add_to_buckets(gap);
        }
    }

    #[cold]
    fn add_to_buckets(&mut self, gap: f64) {
        let buckets = self.buckets.get_or_insert_with(|| {
            let empty = Bucket {
                count: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
            };
            vec![empty; DURATION_BUCKETS.len() + 1].into_boxed_slice()
        });
        // Upper bounds are inclusive, as in the SDK's histogram.
        let i = DURATION_BUCKETS.partition_point(|&bound| bound < gap);
        let b = &mut buckets[i];
        b.count += 1;
        b.sum += gap;
        b.min = b.min.min(gap);
        b.max = b.max.max(gap);
    }

    /// Whether no gap was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Calls `record` once per gap added: the exact ones as they were, the
    /// bucketed ones as described in the module docs.
    pub(crate) fn for_each_point(&self, mut record: impl FnMut(f64)) {
        self.exact.iter().for_each(|&gap| record(gap));
        for b in self.buckets.iter().flat_map(|b| b.iter()) {
            match b.count {
                0 => {}
                1 => record(b.sum),
                n => {
                    record(b.min);
                    record(b.max);
                    let rest = n - 2;
                    if rest > 0 {
                        // Clamped: rounding must not carry it out of the bucket.
                        let mean = ((b.sum - b.min - b.max) / rest as f64).clamp(b.min, b.max);
                        (0..rest).for_each(|_| record(mean));
                    }
                }
            }
        }
    }
}

impl FromIterator<f64> for ChunkGaps {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut gaps = ChunkGaps::default();
        iter.into_iter().for_each(|gap| gaps.push(gap));
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (count per bucket, count, sum, min, max), as a histogram reports them.
    fn summary(points: &[f64]) -> (Vec<u64>, usize, f64, f64, f64) {
        let mut counts = vec![0; DURATION_BUCKETS.len() + 1];
        for &p in points {
            counts[DURATION_BUCKETS.partition_point(|&b| b < p)] += 1;
        }
        let min = points.iter().copied().fold(f64::INFINITY, f64::min);
        let max = points.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (counts, points.len(), points.iter().sum(), min, max)
    }

    #[test]
    fn memory_is_bounded_and_the_histogram_is_unchanged() {
        let gaps: Vec<f64> = (0..100_000)
            .map(|i| 0.001 + (i % 977) as f64 * 0.013)
            .collect();
        let held: ChunkGaps = gaps.iter().copied().collect();
        assert_eq!(held.exact.len(), EXACT_GAPS);
        assert_eq!(held.exact.capacity(), EXACT_GAPS);
        let mut replayed = Vec::new();
        held.for_each_point(|p| replayed.push(p));
        let (want, got) = (summary(&gaps), summary(&replayed));
        assert_eq!(got.0, want.0, "per-bucket counts");
        assert_eq!(got.1, want.1);
        assert!(
            (got.2 - want.2).abs() < 1e-6 * want.2,
            "{} vs {}",
            got.2,
            want.2
        );
        assert_eq!((got.3, got.4), (want.3, want.4));
    }

    #[test]
    fn few_gaps_are_replayed_exactly() {
        let held: ChunkGaps = [0.5, 0.01, 3.0].into_iter().collect();
        let mut replayed = Vec::new();
        held.for_each_point(|p| replayed.push(p));
        assert_eq!(replayed, [0.5, 0.01, 3.0]);
    }
}
