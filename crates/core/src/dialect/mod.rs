//! The API dialect: everything in which Management API versions differ, behind one trait, so
//! that the stages (`live`, `diff`, `plan`, `apply`, `export`, the lease, `api`) are written once
//! for all of them. A dialect says how a resource is addressed (`item`, `collection`, by name or
//! by id), changed (`update_method`, `status_calls`), listed (`listing`: bare arrays, offset
//! pages, checkpoints), named on the wire (`read`: the tenant's object as a [`Resource`] of the
//! fields a0ctl compares), which fields cannot change in place (`replaced_by`), what its errors
//! look like (`error_code`), which token it takes (`audience`) and which scopes a call needs
//! (`scopes`). Adding a dialect is one module here and one arm of [`for_version`].

mod seam;
mod v1;
mod v2;
pub mod wire;

pub use seam::*;
pub use v1::V1;
pub use v2::V2;

use crate::manifest::types::ApiVersion;

/// The dialect of an API version.
pub fn for_version(api: ApiVersion) -> Box<dyn Dialect> {
    match api {
        ApiVersion::V1 => Box::new(V1),
        ApiVersion::V2 => Box::new(V2),
    }
}

#[cfg(test)]
mod tests;
