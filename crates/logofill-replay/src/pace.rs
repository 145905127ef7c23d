//! The `--rate` ceiling: batches are spaced so that no window of T seconds carries more than
//! `rate * T` messages plus one batch. Without a rate, the tool goes as fast as SQS answers.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct Pacer {
    per_sec: Option<f64>,
    next: Option<Instant>,
}

impl Pacer {
    pub fn new(per_sec: Option<f64>) -> Self {
        Pacer {
            per_sec: per_sec.filter(|r| *r > 0.0),
            next: None,
        }
    }

    /// Largest batch worth taking: a rate under 10/s sends smaller batches, so a `--rate 2`
    /// run moves 2 messages a second rather than 10 every 5 seconds.
    pub fn batch_size(&self, max_batch: usize) -> usize {
        match self.per_sec {
            Some(r) if r < max_batch as f64 => (r.floor() as usize).max(1),
            _ => max_batch,
        }
    }

    /// Wait until `n` more messages may go.
    pub async fn admit(&mut self, n: usize) {
        let Some(rate) = self.per_sec else { return };
        if let Some(next) = self.next {
            tokio::time::sleep_until(next).await;
        }
        let base = match self.next {
            Some(next) => next.max(Instant::now()),
            None => Instant::now(),
        };
        self.next = Some(base + Duration::from_secs_f64(n as f64 / rate));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn holds_the_ceiling() {
        let mut p = Pacer::new(Some(20.0));
        assert_eq!(p.batch_size(10), 10);
        let start = Instant::now();
        for _ in 0..10 {
            p.admit(10).await;
        }
        // 100 messages at 20/s: the 10th batch may start after 9 * 0.5 s.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(4_500), "{took:?}");
        assert!(took < Duration::from_millis(4_600), "{took:?}");
        assert_eq!(Pacer::new(Some(2.5)).batch_size(10), 2);
        assert_eq!(Pacer::new(Some(0.2)).batch_size(10), 1);
        assert_eq!(Pacer::new(None).batch_size(10), 10);
    }
}
