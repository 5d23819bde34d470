//! The device pool: one job per device at a time. [`Pool::acquire`] waits
//! for a free device and hands out a [`Lease`]; dropping the lease gives
//! the device back, [`Lease::retire`] takes a lost device out for good.

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
struct Inner<D> {
    free: Mutex<VecDeque<D>>,
    /// One permit per free device.
    permits: Arc<Semaphore>,
    /// Devices not retired (free or leased).
    size: AtomicUsize,
}

impl<D> Inner<D> {
    fn free(&self) -> std::sync::MutexGuard<'_, VecDeque<D>> {
        self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A pool of devices. Cheap to clone; clones share the devices.
#[derive(Debug)]
pub struct Pool<D> {
    inner: Arc<Inner<D>>,
}

impl<D> Clone for Pool<D> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<D> Pool<D> {
    pub fn new(devices: impl IntoIterator<Item = D>) -> Self {
        let free: VecDeque<D> = devices.into_iter().collect();
        let n = free.len();
        let permits = Arc::new(Semaphore::new(n));
        if n == 0 {
            permits.close();
        }
        Self {
            inner: Arc::new(Inner {
                free: Mutex::new(free),
                permits,
                size: AtomicUsize::new(n),
            }),
        }
    }

    /// Devices in the pool, leased or free (retired ones excluded).
    pub fn size(&self) -> usize {
        self.inner.size.load(Ordering::SeqCst)
    }

    /// Devices free right now.
    pub fn available(&self) -> usize {
        self.inner.permits.available_permits()
    }

    /// Waits for a free device; `None` once every device has been retired.
    pub async fn acquire(&self) -> Option<Lease<D>> {
        let permit = Arc::clone(&self.inner.permits).acquire_owned().await.ok()?;
        self.lease(permit)
    }

    /// A free device now, if there is one.
    pub fn try_acquire(&self) -> Option<Lease<D>> {
        let permit = Arc::clone(&self.inner.permits).try_acquire_owned().ok()?;
        self.lease(permit)
    }

    fn lease(&self, permit: OwnedSemaphorePermit) -> Option<Lease<D>> {
        // A permit is only ever issued for a device in the free list.
        let device = self.inner.free().pop_front()?;
        Some(Lease {
            device: Some(device),
            permit: Some(permit),
            pool: Arc::clone(&self.inner),
        })
    }
}

/// Exclusive use of one device until dropped.
#[derive(Debug)]
pub struct Lease<D> {
    device: Option<D>,
    permit: Option<OwnedSemaphorePermit>,
    pool: Arc<Inner<D>>,
}

impl<D> Lease<D> {
    /// Takes the device out of the pool for good (it was lost or broke).
    /// When the last device is retired, waiting acquirers get `None`.
    pub fn retire(mut self) -> Option<D> {
        if let Some(p) = self.permit.take() {
            p.forget();
        }
        let left = self.pool.size.fetch_sub(1, Ordering::SeqCst) - 1;
        if left == 0 {
            self.pool.permits.close();
        }
        self.device.take()
    }
}

impl<D> Deref for Lease<D> {
    type Target = D;

    fn deref(&self) -> &D {
        // Present from creation until `retire` or drop consume the lease.
        self.device
            .as_ref()
            .unwrap_or_else(|| unreachable!("a lease holds its device until consumed"))
    }
}

impl<D> Drop for Lease<D> {
    fn drop(&mut self) {
        if let Some(d) = self.device.take() {
            // Back in the list before the permit is released, so whoever
            // the permit wakes finds it.
            self.pool.free().push_back(d);
        }
        drop(self.permit.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_job_per_device_and_leases_come_back() {
        let pool = Pool::new(["a", "b"]);
        let l1 = pool.acquire().await.unwrap();
        let l2 = pool.acquire().await.unwrap();
        assert_ne!(*l1, *l2);
        assert_eq!(pool.available(), 0);
        assert!(pool.try_acquire().is_none());
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.acquire().await.map(|l| *l) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        let freed = *l1;
        drop(l1);
        assert_eq!(waiter.await.unwrap(), Some(freed));
        drop(l2);
        assert_eq!(pool.available(), 2);
    }

    #[tokio::test]
    async fn retired_devices_leave_and_an_empty_pool_ends_waits() {
        let pool = Pool::new(["a"]);
        let lease = pool.acquire().await.unwrap();
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.acquire().await.is_none() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(lease.retire(), Some("a"));
        assert!(waiter.await.unwrap(), "waiter must get None");
        assert_eq!(pool.size(), 0);
        assert!(Pool::<u8>::new([]).acquire().await.is_none());
    }

    #[tokio::test]
    async fn many_jobs_never_share_a_device() {
        let pool = Pool::new(0..3u32);
        let busy = Arc::new(Mutex::new(std::collections::HashSet::new()));
        let mut jobs = Vec::new();
        for _ in 0..30 {
            let (pool, busy) = (pool.clone(), Arc::clone(&busy));
            jobs.push(tokio::spawn(async move {
                let lease = pool.acquire().await.unwrap();
                assert!(busy.lock().unwrap().insert(*lease), "device leased twice");
                tokio::time::sleep(Duration::from_millis(2)).await;
                busy.lock().unwrap().remove(&*lease);
            }));
        }
        for j in jobs {
            j.await.unwrap();
        }
        assert_eq!(pool.available(), 3);
    }
}
