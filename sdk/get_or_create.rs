//! Get-or-create helpers: the resource plus whether this call created it.
//!
//! The get-or-create operations (`client.get_or_create_conversation()`, …) return their whole
//! response from `send()`; [`GetOrCreate::send_created`] on the same builders returns
//! `(resource, created)` instead. `created` comes from the response's `meta.created` (for
//! tables, the response's `created`); a service that does not send `meta` yet is read as
//! `created == false`.
//!
//! ```no_run
//! use botpress::prelude::*;
//! # async fn demo(client: &Client) -> botpress::Result<()> {
//! let (conversation, created) = client
//!     .get_or_create_conversation()
//!     .channel("channel")
//!     .tags([("ticket", "T-1")])
//!     .send_created()
//!     .await?;
//! println!("{} (new: {created})", conversation.id);
//!
//! let (user, created) = client
//!     .get_or_create_user()
//!     .tags([("email", "ada@example.com")])
//!     .discriminate_by_tags(["email"])
//!     .send_created()
//!     .await?;
//! # let _ = (user, created); Ok(()) }
//! ```
use std::future::Future;

use crate::{operations, types};

/// A get-or-create builder that can report whether it created the resource.
pub trait GetOrCreate {
    /// The resource gotten or created.
    type Resource;

    /// Sends the request; returns the resource and whether this call created it.
    fn send_created(self) -> impl Future<Output = crate::Result<(Self::Resource, bool)>> + Send;
}

macro_rules! get_or_create {
    ($($builder:ident, $resource:ident, $field:ident;)*) => {
        $(
            #[doc = concat!("The ", stringify!($field), " and `meta.created`.")]
            impl GetOrCreate for operations::$builder {
                type Resource = types::$resource;

                async fn send_created(self) -> crate::Result<(types::$resource, bool)> {
                    let response = self.send().await?;
                    Ok((response.$field, response.meta.is_some_and(|m| m.created)))
                }
            }
        )*
    };
}

get_or_create! {
    GetOrCreateConversation, Conversation, conversation;
    GetOrCreateUser, User, user;
    GetOrCreateMessage, Message, message;
    GetOrCreateWorkflow, Workflow, workflow;
}

/// The table and the response's `created`.
impl GetOrCreate for operations::GetOrCreateTable {
    type Resource = types::Table;

    async fn send_created(self) -> crate::Result<(types::Table, bool)> {
        let response = self.send().await?;
        Ok((response.table, response.created))
    }
}
