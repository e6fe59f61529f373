/**
 * Which event settles which command: for each command type, the events that complete it and those
 * that fail it. The BFF settles a flow's operation by it; it sits beside the schemas because it is
 * part of what a command means.
 */
export const OUTCOMES: Readonly<Record<string, { completed: string[]; failed: string[] }>> = {
  'campaign.CreateCampaign': { completed: ['campaign.CampaignCreated'], failed: ['campaign.CampaignRejected'] },
  'campaign.CreateCoupon': { completed: ['campaign.CouponCreated'], failed: ['campaign.CouponRejected'] },
  'campaign.DeactivateCoupon': { completed: ['campaign.CouponDeactivated'], failed: ['campaign.CouponRejected'] },
  'campaign.ChangeCampaignStatus': {
    completed: ['campaign.CampaignStatusChanged'],
    failed: ['campaign.CampaignCommandRejected'],
  },
  'campaign.InviteInfluencers': {
    completed: ['campaign.InfluencersInvited'],
    failed: ['campaign.CampaignCommandRejected'],
  },
  'campaign.SubmitEvidence': {
    completed: ['campaign.EvidenceSubmitted'],
    failed: ['campaign.CampaignCommandRejected'],
  },
  'campaign.AcceptCampaign': { completed: ['campaign.InfluencerAccepted'], failed: ['campaign.AcceptanceRejected'] },
  'webhook.RegisterEndpoint': {
    completed: ['webhook.EndpointRegistered'],
    failed: ['webhook.EndpointCommandRejected'],
  },
  'webhook.RotateEndpointSecret': {
    completed: ['webhook.EndpointSecretRotated'],
    failed: ['webhook.EndpointCommandRejected'],
  },
  'webhook.DeleteEndpoint': { completed: ['webhook.EndpointDeleted'], failed: ['webhook.EndpointCommandRejected'] },
  'webhook.SendTestDelivery': {
    completed: ['webhook.DeliveryScheduled'],
    failed: ['webhook.EndpointCommandRejected'],
  },
  'webhook.Redeliver': { completed: ['webhook.DeliveryScheduled'], failed: ['webhook.EndpointCommandRejected'] },
  'commission.ReviewCommission': {
    completed: ['commission.CommissionReviewed'],
    failed: ['commission.ReviewRefused'],
  },
  'payment.RequestPayout': {
    completed: ['payment.PayoutCompleted'],
    failed: ['payment.PayoutRejected', 'payment.PayoutFailed'],
  },
};
