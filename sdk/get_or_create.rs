//! Get-or-create helpers: the resource plus whether this call created it.
//!
//! The generated builders (`client.get_or_create_conversation()`, …) stay as they are and
//! return the whole response; [`GetOrCreate::send_created`] on those builders, and the
//! `client.get_or_create_*_with(body)` shorthands, return `(resource, created)` instead.
//! `created` comes from the response's `meta.created` (for tables, the response's `created`);
//! a service that does not send `meta` yet is read as `created == false`.
//!
//! ```no_run
//! use botpress::get_or_create::GetOrCreate;
//! use botpress::types;
//! # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
//! let (conversation, created) = client
//!     .get_or_create_conversation_with(
//!         types::GetOrCreateConversationBody::builder()
//!             .channel("channel")
//!             .tags([("ticket".to_string(), "T-1".to_string())].into_iter().collect::<std::collections::BTreeMap<_, _>>()),
//!     )
//!     .await?;
//! println!("{} (new: {created})", conversation.id);
//!
//! // The same on the generated builder:
//! let (user, created) = client
//!     .get_or_create_user()
//!     .body_map(|b| b.tags([("email".to_string(), "ada@example.com".to_string())].into_iter().collect::<std::collections::BTreeMap<_, _>>()))
//!     .send_created()
//!     .await?;
//! # Ok(()) }
//! ```
use std::fmt::Display;
use std::future::Future;

use crate::generated::builder;
use crate::helper_error::require_non_empty;
use crate::{Client, types};

/// A get-or-create builder that can report whether it created the resource.
pub trait GetOrCreate {
    /// The resource gotten or created.
    type Resource;

    /// Sends the request; returns the resource and whether this call created it.
    fn send_created(self) -> impl Future<Output = crate::Result<(Self::Resource, bool)>> + Send;
}

macro_rules! get_or_create {
    ($($builder:ident, $method:ident, $with:ident, $body:ident, $resource:ident, $field:ident;)*) => {
        $(
            #[doc = concat!("`", stringify!($method), "`: the ", stringify!($field), " and `meta.created`.")]
            impl GetOrCreate for builder::$builder<'_> {
                type Resource = types::$resource;

                async fn send_created(self) -> crate::Result<(types::$resource, bool)> {
                    let response = self.send().await?.into_inner();
                    Ok((response.$field, response.meta.is_some_and(|m| m.created)))
                }
            }

            impl Client {
                #[doc = concat!(
                    "Gets the ", stringify!($field), " matching `body` or creates it; returns it and ",
                    "whether it was created (`meta.created`). Shorthand for `client.",
                    stringify!($method), "().body(body).send_created()`; see [`GetOrCreate`]."
                )]
                pub async fn $with<B>(&self, body: B) -> crate::Result<(types::$resource, bool)>
                where
                    B: TryInto<types::$body>,
                    B::Error: Display,
                {
                    self.$method().body(body).send_created().await
                }
            }
        )*
    };
}

get_or_create! {
    GetOrCreateConversation, get_or_create_conversation, get_or_create_conversation_with, GetOrCreateConversationBody, Conversation, conversation;
    GetOrCreateUser, get_or_create_user, get_or_create_user_with, GetOrCreateUserBody, User, user;
    GetOrCreateMessage, get_or_create_message, get_or_create_message_with, GetOrCreateMessageBody, Message, message;
    GetOrCreateWorkflow, get_or_create_workflow, get_or_create_workflow_with, GetOrCreateWorkflowBody, Workflow, workflow;
}

/// `getOrCreateTable`: the table and the response's `created`.
impl GetOrCreate for builder::GetOrCreateTable<'_> {
    type Resource = types::Table;

    async fn send_created(self) -> crate::Result<(types::Table, bool)> {
        let response = self.send().await?.into_inner();
        Ok((response.table, response.created))
    }
}

impl Client {
    /// Gets the table `name` or creates it from `body` (its `schema` is required); returns
    /// it and whether it was created. An empty name is an error before any request.
    ///
    /// ```no_run
    /// # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
    /// let schema = serde_json::json!({"type": "object", "properties": {"sku": {"type": "string"}}});
    /// let (table, created) = client
    ///     .get_or_create_table_with(
    ///         "products",
    ///         botpress::types::GetOrCreateTableBody::builder()
    ///             .schema(schema.as_object().cloned().unwrap()),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_or_create_table_with<B>(
        &self,
        name: &str,
        body: B,
    ) -> crate::Result<(types::Table, bool)>
    where
        B: TryInto<types::GetOrCreateTableBody>,
        B::Error: Display,
    {
        require_non_empty("table name", name)?;
        self.get_or_create_table()
            .table(name)
            .body(body)
            .send_created()
            .await
    }
}
