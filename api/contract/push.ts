// Web push: the install's public key and the signed-in user's subscribed browsers, as the API
// answers them; one shape with the store's (a compile-time check at the end).
import Type, { type Static } from 'typebox';
import type { PublicPushSubscription } from '../../alerts/web-push.ts';
import type { Same } from './shapes.ts';

export const PushKey = Type.Object(
  {
    publicKey: Type.String({
      description: "The install's VAPID public key (base64url), the applicationServerKey of PushManager.subscribe()",
    }),
  },
  {
    examples: [
      { publicKey: 'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U' },
    ],
  },
);

const subscriptionExample = {
  id: '6f1c2a9e-0b7d-4e3a-9c5f-2d8e1a4b7c90',
  label: 'Chrome on Android',
  service: 'fcm.googleapis.com',
  createdAt: '2026-11-27T19:40:00.000Z',
};
const PushSubscriptionSchema = Type.Object({
  id: Type.String(),
  label: Type.String({ description: 'What the browser said it is, to tell one from another' }),
  service: Type.String({ description: 'The push service that carries its messages' }),
  createdAt: Type.String({ description: 'ISO 8601, UTC' }),
});
export const PushSubscription = Type.Object(PushSubscriptionSchema.properties, { examples: [subscriptionExample] });
export const PushSubscriptions = Type.Object(
  { subscriptions: Type.Array(PushSubscriptionSchema) },
  { examples: [{ subscriptions: [subscriptionExample] }] },
);

export const PushSubscribeBody = Type.Object(
  {
    endpoint: Type.String({ maxLength: 2048, description: 'PushSubscription.endpoint' }),
    keys: Type.Object(
      { p256dh: Type.String({ maxLength: 200 }), auth: Type.String({ maxLength: 100 }) },
      { additionalProperties: false },
    ),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'Ignored' })),
    label: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export type PushSubscribeInput = Static<typeof PushSubscribeBody>;

const shapesMatch: [Same<Static<typeof PushSubscriptionSchema>, PublicPushSubscription>] = [true];
void shapesMatch;
