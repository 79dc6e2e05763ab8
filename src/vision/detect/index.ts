/** Finding the dogs in a photo: a detector's boxes, as candidates for the breed classifier. */
export { type Detection, insideShare, iou, padBox, scaleBox, suppressOverlaps } from './boxes.ts';
export { Detector } from './detector.ts';
export { decodeYolox, letterboxScale, letterboxTensor } from './yolox.ts';
