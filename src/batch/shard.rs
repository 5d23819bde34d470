//! `--shard K/N`: a stable split of an app list over N controllers. Each
//! app goes to the shard with the highest hash of (app, shard number)
//! (rendezvous hashing, xxh3): the split depends only on each app's own
//! name, so adding or removing an app moves no other app, and going from
//! N to N+1 shards moves only the apps the new shard takes. Pure.

use std::fmt;
use std::str::FromStr;

use xxhash_rust::xxh3::xxh3_64;

/// Shard `index` of `count`, both counted from 1 (`2/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "--shard `{s}`: expected K/N with 1 <= K <= N (in a Kubernetes Indexed Job, \
                 K is JOB_COMPLETION_INDEX + 1)"
            )
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The shard (1-based) an app belongs to among `count`.
    pub fn of(app: &str, count: u32) -> u32 {
        (1..=count)
            .max_by_key(|k| {
                let mut key = Vec::with_capacity(app.len() + 5);
                key.extend_from_slice(app.as_bytes());
                key.push(0);
                key.extend_from_slice(&k.to_le_bytes());
                (xxh3_64(&key), std::cmp::Reverse(*k))
            })
            .unwrap_or(1)
    }

    pub fn contains(&self, app: &str) -> bool {
        Self::of(app, self.count) == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("com.example.app{i}")).collect()
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard { index: 2, count: 4 }.to_string(), "2/4");
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", "1/2/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_app_in_exactly_one_shard_and_roughly_even() {
        let apps = names(400);
        let n = 4;
        let mut sizes = [0usize; 4];
        for a in &apps {
            let hits: Vec<u32> = (1..=n)
                .filter(|k| {
                    Shard {
                        index: *k,
                        count: n,
                    }
                    .contains(a)
                })
                .collect();
            assert_eq!(hits.len(), 1, "{a}: {hits:?}");
            sizes[(hits[0] - 1) as usize] += 1;
        }
        // 100 expected each; a fair split stays well inside 60..140.
        assert!(sizes.iter().all(|s| (60..140).contains(s)), "{sizes:?}");
    }

    #[test]
    fn stable_when_apps_or_shards_are_added() {
        let apps = names(300);
        let before: Vec<u32> = apps.iter().map(|a| Shard::of(a, 4)).collect();
        // The split of an app depends on nothing but its name and N.
        let mut more = apps.clone();
        more.push("com.example.newcomer".into());
        let after: Vec<u32> = more.iter().take(300).map(|a| Shard::of(a, 4)).collect();
        assert_eq!(before, after);
        // From 4 to 5 shards, an app either stays or moves to shard 5.
        let moved: Vec<&String> = apps
            .iter()
            .zip(&before)
            .filter(|(a, b)| Shard::of(a, 5) != **b)
            .map(|(a, _)| a)
            .collect();
        assert!(moved.iter().all(|a| Shard::of(a, 5) == 5));
        assert!(moved.len() < 100, "{} of 300 moved", moved.len());
    }
}
