// Spider Web: every GraphQL document the page at `/` sends, in one place
// (account.js keeps its own, as it also runs on the account pages).

const REACTIONS = 'reactions { emoji count reacted }';
const CARD = `id ownerId ownerUsername title body visibility createdAt updatedAt replyCount ${REACTIONS}`;
const REPLY = 'id cardId authorId authorUsername body createdAt updatedAt';
const PROFILE = 'id displayName bio avatarUrl location website';
const ME = `id username email emailVerified isStaff profile { ${PROFILE} }`;
const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

export const Q = {
  // session and account
  me: `query Me { me { ${ME} } }`,
  register: `mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken user { ${ME} } }
  }`,
  login: `mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken refreshToken user { ${ME} } }
  }`,
  refresh: `mutation Refresh($token: String!) {
    refreshToken(refreshToken: $token) { accessToken refreshToken }
  }`,
  logout: 'mutation Logout { logout }',
  createProfile: `mutation CreateProfile($input: CreateProfileInput!) {
    createProfile(input: $input) { ${PROFILE} }
  }`,
  updateProfile: `mutation UpdateProfile($id: ID!, $input: UpdateProfileInput!) {
    updateProfile(id: $id, input: $input) { ${PROFILE} }
  }`,

  // cards
  cards: `query Cards($first: Int, $after: String) {
    cards(first: $first, after: $after) { ${PAGE_INFO} nodes { ${CARD} } }
  }`,
  createCard: `mutation CreateCard($input: CreateCardInput!) { createCard(input: $input) { ${CARD} } }`,
  updateCard: `mutation UpdateCard($id: ID!, $input: UpdateCardInput!) {
    updateCard(id: $id, input: $input) { ${CARD} }
  }`,
  deleteCard: 'mutation DeleteCard($id: ID!) { deleteCard(id: $id) }',
  cardEvents: `subscription CardEvents { cardEvents { kind cardId card { ${CARD} } } }`,

  // reactions
  addReaction: `mutation AddReaction($cardId: ID!, $emoji: String!) {
    addReaction(cardId: $cardId, emoji: $emoji) { ${CARD} }
  }`,
  removeReaction: `mutation RemoveReaction($cardId: ID!, $emoji: String!) {
    removeReaction(cardId: $cardId, emoji: $emoji) { ${CARD} }
  }`,

  // a card's thread: the latest page first, earlier ones on request
  replies: `query Replies($id: ID!, $last: Int, $before: String) {
    card(id: $id) { id replies(last: $last, before: $before) { ${PAGE_INFO} nodes { ${REPLY} } } }
  }`,
  createReply: `mutation CreateReply($cardId: ID!, $input: CreateReplyInput!) {
    createReply(cardId: $cardId, input: $input) { ${REPLY} }
  }`,
  updateReply: `mutation UpdateReply($id: ID!, $input: UpdateReplyInput!) {
    updateReply(id: $id, input: $input) { ${REPLY} }
  }`,
  deleteReply: 'mutation DeleteReply($id: ID!) { deleteReply(id: $id) }',
  replyEvents: `subscription ReplyEvents($cardId: ID!) {
    replyEvents(cardId: $cardId) { kind replyId reply { ${REPLY} } }
  }`,
};
