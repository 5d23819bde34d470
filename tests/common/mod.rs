//! Helpers shared by integration tests: synthetic screens.
#![allow(dead_code, unreachable_pub)]

pub mod synth;
